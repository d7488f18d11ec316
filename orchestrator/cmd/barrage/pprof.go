package main

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
)

// startProfiling writes cpu.pprof and allocs.pprof into the directory named
// by BARRAGE_PPROF, for performance work on barrage itself (bench/README.md).
// It returns the function that stops profiling.
func startProfiling() func() {
	dir := os.Getenv("BARRAGE_PPROF")
	if dir == "" {
		return func() {}
	}
	cpu, err := os.Create(filepath.Join(dir, "cpu.pprof"))
	if err != nil {
		return func() {}
	}
	pprof.StartCPUProfile(cpu)
	tr, _ := os.Create(filepath.Join(dir, "trace.out"))
	if tr != nil && os.Getenv("BARRAGE_TRACE") == "1" {
		trace.Start(tr)
	}
	return func() {
		trace.Stop()
		if tr != nil {
			tr.Close()
		}
		pprof.StopCPUProfile()
		cpu.Close()
		if f, err := os.Create(filepath.Join(dir, "allocs.pprof")); err == nil {
			runtime.GC()
			pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
	}
}
