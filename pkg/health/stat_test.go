package health

import (
	"errors"
	"testing"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    HostCPU
		wantErr bool
	}{
		// A current kernel: user nice system idle iowait irq softirq steal guest guest_nice.
		{"full", "cpu  10 1 5 100 2 3 4 7 0 0\ncpu0 5 0 2 50 1 1 2 3 0 0\n", HostCPU{Busy: 23, Idle: 102, Steal: 7}, false},
		// An old kernel without steal.
		{"no steal", "cpu  10 1 5 100 2 3 4\n", HostCPU{Busy: 23, Idle: 102}, false},
		// Not the aggregate line.
		{"cpu0 first", "cpu0 1 2 3 4 5 6 7 8\n", HostCPU{}, true},
		// Too few fields.
		{"short", "cpu  1 2 3\n", HostCPU{}, true},
		// Empty.
		{"empty", "", HostCPU{}, true},
	}
	for _, tt := range tests {
		got, err := parseStat([]byte(tt.in))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("%s: parseStat = %+v, %v; want %+v, error %v", tt.name, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: error %v does not wrap ErrMalformed", tt.name, err)
		}
	}
}

func TestStealFraction(t *testing.T) {
	prev := HostCPU{Busy: 100, Idle: 100, Steal: 0}
	cur := HostCPU{Busy: 150, Idle: 120, Steal: 30}
	if got := cur.StealFraction(prev); got != 0.3 {
		t.Errorf("StealFraction = %v; want 0.3", got)
	}
	if got := prev.StealFraction(prev); got != 0 {
		t.Errorf("no time passed: %v; want 0", got)
	}
}

func TestHostCPUReal(t *testing.T) {
	var p Proc
	c, err := p.HostCPU()
	if err != nil {
		t.Fatal(err)
	}
	if c.Total() == 0 {
		t.Errorf("HostCPU = %+v; want some time accounted", c)
	}
}
