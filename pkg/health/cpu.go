package health

import (
	"runtime"
	"time"
)

// CPUUsage is how busy a process kept the CPU over an interval.
type CPUUsage struct {
	// PercentOfCore is CPU time over wall time, in percent of one core:
	// 100 is one core kept busy, 250 two and a half. It exceeds 100 when
	// several threads run at once.
	PercentOfCore float64
	// Cores is the capacity Fraction is measured against, in cores.
	Cores float64
	// Fraction is CPU time over wall time × Cores: 1 means all of Cores was
	// in use. It can exceed 1 a little, because threads blocked in system
	// calls run beyond GOMAXPROCS.
	Fraction float64
}

// CPUPercent returns the CPU use of a process between snapshots prev and
// cur, taken wall apart (cur.Taken.Sub(prev.Taken) for snapshots from Self):
//
//	PercentOfCore = 100 × (cur.CPUTime − prev.CPUTime) / wall
//	Fraction      = (cur.CPUTime − prev.CPUTime) / (wall × cores)
//
// cores is the capacity to compare against: the worker's own size if it
// knows it, else AvailableCores(). A wall that is not positive, or a CPU
// time that went backwards (snapshots of different processes), gives zeros;
// cores that is not positive gives a zero Fraction.
func CPUPercent(prev, cur Snapshot, wall time.Duration, cores float64) CPUUsage {
	used := cur.CPUTime - prev.CPUTime
	if wall <= 0 || used < 0 {
		return CPUUsage{Cores: cores}
	}
	u := CPUUsage{
		PercentOfCore: 100 * used.Seconds() / wall.Seconds(),
		Cores:         cores,
	}
	if cores > 0 {
		u.Fraction = used.Seconds() / (wall.Seconds() * cores)
	}
	return u
}

// AvailableCores returns how many cores this Go process can keep busy at
// once: the smaller of runtime.NumCPU() (the CPUs in its affinity mask) and
// GOMAXPROCS (which since Go 1.25 also follows a cgroup CPU limit, rounded
// up and never below 2, so a container limited to 0.25 CPU still gets 2).
func AvailableCores() float64 {
	return float64(min(runtime.NumCPU(), runtime.GOMAXPROCS(0)))
}
