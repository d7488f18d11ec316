package orchestrator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/report"
)

// WriteRunFolder writes dir/runs/{run_id}/ with the spec, every shard's
// result and the report (json and text), in the store layout of DESIGN.md.
func WriteRunFolder(dir string, spec *events.RunSpec, results []*events.ShardResult, rep *events.Report) (string, error) {
	run := filepath.Join(dir, "runs", rep.RunID)
	if err := os.MkdirAll(filepath.Join(run, "shards"), 0o755); err != nil {
		return "", fmt.Errorf("create run folder: %w", err)
	}
	write := func(name string, v any) error {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(run, name)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(run, name), append(b, '\n'), 0o644)
	}
	if err := write("spec.json", spec); err != nil {
		return run, fmt.Errorf("write spec: %w", err)
	}
	for _, res := range results {
		if err := write(filepath.Join("shards", res.ShardID, "result.json"), res); err != nil {
			return run, fmt.Errorf("write shard %s: %w", res.ShardID, err)
		}
	}
	if err := write("report.json", rep); err != nil {
		return run, fmt.Errorf("write report: %w", err)
	}
	var txt bytes.Buffer
	if err := report.Text(&txt, rep); err != nil {
		return run, err
	}
	if err := os.WriteFile(filepath.Join(run, "report.txt"), txt.Bytes(), 0o644); err != nil {
		return run, fmt.Errorf("write report: %w", err)
	}
	return run, nil
}

// ReadReport reads report.json from a run folder.
func ReadReport(runDir string) (*events.Report, error) {
	b, err := os.ReadFile(filepath.Join(runDir, "report.json"))
	if err != nil {
		return nil, err
	}
	var r events.Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(runDir, "report.json"), err)
	}
	return &r, nil
}
