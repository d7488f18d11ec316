package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/prepare"
	"github.com/barrage-load/barrage/pkg/spec"
)

// TestStoredSpecPrepared: the spec a local run stores, which its workers
// read, is the file's spec prepared (defaults and all), not the file's.
func TestStoredSpecPrepared(t *testing.T) {
	srv, _ := countingServer(t)
	dir, out := t.TempDir(), t.TempDir()
	file := filepath.Join(dir, "spec.yaml")
	yaml := "targets:\n  - url: " + srv.URL + "/x\nload: {rate: 20}\nduration: 1s\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	r := barrage(t, 30*time.Second, "run", file, "--json", "--quiet", "--out", out)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	var rep events.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "runs", rep.RunID, "spec.json"))
	if err != nil {
		t.Fatal(err)
	}
	var stored events.RunSpec
	if err := json.Unmarshal(b, &stored); err != nil {
		t.Fatal(err)
	}
	written, err := spec.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	want, err := prepare.Spec(written)
	if err != nil {
		t.Fatal(err)
	}
	if written.Defaulted() || !stored.Defaulted() || !reflect.DeepEqual(stored, want) {
		t.Errorf("stored spec %s\nwant the file's spec prepared: %+v", b, want)
	}
}
