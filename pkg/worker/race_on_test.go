//go:build race

package worker

// raceOn: the race detector is on; it allocates beside the code measured.
const raceOn = true
