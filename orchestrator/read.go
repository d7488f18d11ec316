package orchestrator

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/reduce"
	"github.com/barrage-load/barrage/pkg/store"
)

// LocalRun splits a local run folder DIR/runs/ID into the store it lives in
// and its run id.
func LocalRun(folder string) (store.Store, string, error) {
	folder = filepath.Clean(folder)
	runs, id := filepath.Split(folder)
	runs = filepath.Clean(runs)
	if filepath.Base(runs) != "runs" || id == "" {
		return nil, "", fmt.Errorf("%s is not a run folder (want DIR/runs/RUN_ID)", folder)
	}
	return store.Dir{Root: filepath.Dir(runs)}, id, nil
}

// ReadReport returns the stored report of a run in st; its error wraps
// store.ErrNotFound when the run has none (yet).
func ReadReport(ctx context.Context, st store.Store, run string) (*events.Report, error) {
	if strings.ContainsAny(run, "/\\") {
		return nil, fmt.Errorf("bad run id %q", run)
	}
	return reduce.Stored(ctx, st, run)
}
