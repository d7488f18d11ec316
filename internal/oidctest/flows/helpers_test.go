package flows

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/barrage-load/barrage/internal/cmdtest"
)

// result is how a run of the barrage command ended.
type result struct {
	code           int
	stdout, stderr string
}

// barrage builds the barrage command (the root module, through this
// module's replace; go.mod lists it as a tool so that go.sum holds what it
// needs) and runs it with args, waiting at most limit.
func barrage(t *testing.T, limit time.Duration, args ...string) result {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "barrage")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/barrage-load/barrage/orchestrator/cmd/barrage").CombinedOutput(); err != nil {
		t.Fatalf("build barrage: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = os.Environ()
	code, stdout, stderr := cmdtest.Run(t, cmd, limit)
	return result{code, stdout, stderr}
}
