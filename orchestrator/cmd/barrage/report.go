package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/awsenv"
	"github.com/barrage-load/barrage/pkg/report"
	"github.com/barrage-load/barrage/pkg/store"
)

func defineReport(fs *flagSet) runner {
	var format, dir string
	fs.Var(oneOf(&format, "text", "text", "json", "md", "html"), "format", "the report's format")
	fs.StringVar(&dir, "out", "./barrage-runs", "where run folders are, `DIR`/runs/ID: RUN may be a run id")
	return func(pos []string, std stdio) error { return cmdReport(pos, format, dir, std.out) }
}

// cmdReport renders a stored run: barrage report RUN [--format F].
func cmdReport(pos []string, format, dir string, stdout io.Writer) error {
	if len(pos) != 1 {
		return badInput("report takes one RUN (a run folder or a run id)")
	}
	r, err := loadReport(pos[0], dir)
	if err != nil {
		return err
	}
	switch format {
	case "json":
		err = writeJSON(stdout, r)
	case "md":
		err = report.Markdown(stdout, r)
	case "html":
		err = report.HTML(stdout, r)
	default:
		err = report.Text(stdout, r)
	}
	if err != nil {
		return err
	}
	return verdict(r)
}

// loadReport reads the report of the run arg names (openRun); a run
// without one is bad input.
func loadReport(arg, dir string) (*events.Report, error) {
	st, id, err := openRun(arg, dir)
	if err != nil {
		return nil, badInput("%v", err)
	}
	r, err := orchestrator.ReadReport(context.Background(), st, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, badInput("%s has no report (not a run folder, or a run still going)", arg)
		}
		return nil, badInput("%v", err)
	}
	return r, nil
}

// openRun finds a run from a folder (DIR/runs/ID), a run id under dir, or
// s3://bucket/prefix/runs/ID.
func openRun(arg, dir string) (store.Store, string, error) {
	if strings.HasPrefix(arg, "s3://") {
		i := strings.LastIndex(arg, "/runs/")
		if i < 0 {
			return nil, "", fmt.Errorf("%s: want s3://bucket[/prefix]/runs/RUN_ID", arg)
		}
		st, err := openStore(arg[:i], &awsenv.Lazy{})
		return st, arg[i+len("/runs/"):], err
	}
	if !isDir(arg) && isDir(filepath.Join(dir, "runs", arg)) {
		arg = filepath.Join(dir, "runs", arg)
	}
	return orchestrator.LocalRun(arg)
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
