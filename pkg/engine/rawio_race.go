//go:build linux && race

package engine

import (
	"runtime"
	"unsafe"
)

// The race detector sees what raw reads write and raw writes read, as it
// sees the syscall package's.
func raceWrote(b []byte) {
	if len(b) > 0 {
		runtime.RaceWriteRange(unsafe.Pointer(&b[0]), len(b))
	}
}

func raceReads(b []byte) {
	if len(b) > 0 {
		runtime.RaceReadRange(unsafe.Pointer(&b[0]), len(b))
	}
}
