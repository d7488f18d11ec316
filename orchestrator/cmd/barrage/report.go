package main

import (
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"

	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/report"
)

// cmdReport renders a stored run: barrage report RUN [--format F].
func cmdReport(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	format := fs.String("format", "text", "text, json, md or html")
	dir := fs.String("out", "./barrage-runs", "where run folders are, to find RUN given as a run id")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return badInput("report takes one RUN (a run folder or a run id)")
	}
	run := pos[0]
	if !isDir(run) && isDir(filepath.Join(*dir, "runs", run)) {
		run = filepath.Join(*dir, "runs", run)
	}
	r, err := orchestrator.ReadReport(run)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return badInput("%s is not a run folder (no report.json)", pos[0])
		}
		return badInput("%v", err)
	}
	switch *format {
	case "text":
		return report.Text(stdout, r)
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "md":
		return report.Markdown(stdout, r)
	case "html":
		return report.HTML(stdout, r)
	}
	return badInput("unknown --format %q (want text, json, md or html)", *format)
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
