// Package cmdtest runs the barrage command in the command's own tests and
// in the login-flow tests of internal/oidctest/flows.
package cmdtest

import (
	"bytes"
	"errors"
	"os/exec"
	"testing"
	"time"
)

// Run starts cmd, kills it if it runs longer than limit, and returns its
// exit code, standard output and standard error. A command that cannot be
// started fails the test.
func Run(t *testing.T, cmd *exec.Cmd, limit time.Duration) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(limit, func() { cmd.Process.Kill() })
	defer timer.Stop()
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatal(err)
		}
		code = ee.ExitCode()
	}
	return code, out.String(), errb.String()
}
