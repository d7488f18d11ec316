//go:build integration && !linux

package integration

import "os/exec"

// setDeathSignal does nothing where there is no parent-death signal: a
// server outlives a test binary that is killed.
func setDeathSignal(*exec.Cmd) {}
