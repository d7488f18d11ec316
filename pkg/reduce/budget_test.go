package reduce

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
)

func TestBudgetFromEnv(t *testing.T) {
	t.Setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1769")
	if got := BudgetFromEnv(); got != 1769<<20 {
		t.Errorf("Lambda of 1769 MB: budget %d, want %d", got, 1769<<20)
	}
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tt := range []struct {
		v2, v1 string
		want   int64
	}{
		{"8589934592\n", "", 8 << 30},
		{"max\n", "4294967296\n", 4 << 30},
		{"max\n", "9223372036854771712\n", 0},
		{"", "", 0},
	} {
		v2, v1 := filepath.Join(dir, "none2"), filepath.Join(dir, "none1")
		if tt.v2 != "" {
			v2 = write("v2", tt.v2)
		}
		if tt.v1 != "" {
			v1 = write("v1", tt.v1)
		}
		if got := cgroupLimit(v2, v1); got != tt.want {
			t.Errorf("cgroup %q, %q: limit %d, want %d", tt.v2, tt.v1, got, tt.want)
		}
	}
}

func TestBudgetSetsLimit(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	Budget(0)
	if got := debug.SetMemoryLimit(-1); got != 1<<63-1 {
		t.Errorf("a budget of 0 set the memory limit to %d", got)
	}
	Budget(2 << 30)
	if got := debug.SetMemoryLimit(-1); got != 2<<30/5*4 {
		t.Errorf("memory limit %d, want 80 %% of 2 GiB", got)
	}
	if got := debug.SetGCPercent(400); got != 400 {
		t.Errorf("GC percent %d, want 400", got)
	}
}
