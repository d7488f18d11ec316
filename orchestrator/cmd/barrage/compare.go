package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/compare"
	"github.com/barrage-load/barrage/pkg/report"
)

const compareAbout = `RUN_A is the baseline, RUN_B the run judged against it; each is a run
folder, a run id under --out, or s3://bucket[/prefix]/runs/ID. A condition
is [target=NAME:]METRIC OP CHANGE: OP one of > >= < <=, CHANGE a percentage
of A (+10%, -5%) or a change in the metric's unit (+20ms for latencies,
+0.01 for error_ratio, -50 for rates), METRIC one of p50 p90 p95 p99 p999
max mean target_rate achieved_rate throughput error_ratio dropped requests.

Exit status: 0 no condition held; 1 a condition held (named on stderr);
2 bad input (a malformed condition, a run without a report); 3 a run sent
no request, or nothing in it succeeded (unless its spec expected that).`

func defineCompare(fs *flagSet) runner {
	var format, dir string
	var conds conditions
	fs.Var(oneOf(&format, "text", "text", "json", "md", "html"), "format", "the comparison's format")
	fs.StringVar(&dir, "out", "./barrage-runs", "where run folders are, `DIR`/runs/ID: a RUN may be a run id")
	fs.Var(&conds, "fail-if", "exit 1 when `CONDITION` holds, such as p99>+10%; repeatable, or comma-separated")
	return func(pos []string, std stdio) error { return cmdCompare(pos, format, dir, conds, std.out) }
}

// cmdCompare sets two stored runs side by side: barrage compare RUN_A
// RUN_B, and judges the --fail-if conditions on the change.
func cmdCompare(pos []string, format, dir string, conds conditions, stdout io.Writer) error {
	if len(pos) != 2 {
		return badInput("compare takes two runs, RUN_A RUN_B (run folders, run ids or s3:// URLs), got %d", len(pos))
	}
	a, err := loadReport(pos[0], dir)
	if err != nil {
		return err
	}
	b, err := loadReport(pos[1], dir)
	if err != nil {
		return err
	}
	c := compare.Compare(a, b)
	held, err := c.Judge(conds)
	if err != nil {
		return badInput("--fail-if: %v", err)
	}
	switch format {
	case "json":
		err = writeJSON(stdout, c)
	case "md":
		err = c.Markdown(stdout)
	case "html":
		err = c.HTML(stdout, a, b)
	default:
		err = c.Text(stdout)
	}
	if err != nil {
		return err
	}
	if err := nothingToCompare("A", a); err != nil {
		return err
	}
	if err := nothingToCompare("B", b); err != nil {
		return err
	}
	if len(held) == 0 {
		return nil
	}
	var why []string
	for _, g := range held {
		why = append(why, g.Text+": "+compare.Change(g.Row))
	}
	return &thresholdError{fmt.Sprintf("%d of %d --fail-if conditions held: %s", len(held), len(conds), strings.Join(why, "; "))}
}

// nothingToCompare returns an error (exit 3) for a run, side A or B, whose
// figures compare nothing, so that a gate on them cannot pass unseen: it
// sent no request (report.NothingSent), or nothing in it succeeded and its
// spec did not expect that (the latencies are those of failures, or none).
// It returns nil otherwise.
func nothingToCompare(side string, r *events.Report) error {
	why := report.NothingSent(r)
	if why == "" && r.NothingSucceeded && !r.ExpectFailures {
		why = "nothing succeeded"
	}
	if why == "" {
		return nil
	}
	return &noResultError{fmt.Sprintf("run %s (%s) has nothing to compare: %s", side, r.RunID, why)}
}

// conditions is the repeatable --fail-if flag: each value one or more
// conditions, separated by commas.
type conditions []compare.Condition

func (c *conditions) String() string {
	var s []string
	for _, x := range *c {
		s = append(s, x.Text)
	}
	return strings.Join(s, ",")
}

func (c *conditions) Set(v string) error {
	cs, err := compare.ParseConditions(v)
	*c = append(*c, cs...)
	return err
}
