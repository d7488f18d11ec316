package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/plan"
	"github.com/barrage-load/barrage/pkg/report"
	"github.com/barrage-load/barrage/pkg/stack"
)

// awsFlags find a deployed stack: its API URL given, or read from the
// CloudFormation stack's outputs.
type awsFlags struct{ api, stackName string }

func (a *awsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.api, "api", os.Getenv("BARRAGE_API_URL"), "aws backend: the stack's API URL (default: read from the stack's outputs)")
	fs.StringVar(&a.stackName, "stack", envOr("BARRAGE_STACK", stack.DefaultStackName), "aws backend: the CloudFormation stack's `name`")
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// client returns an API client with the default AWS configuration.
func (a *awsFlags) client(ctx context.Context) (*orchestrator.APIClient, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("aws configuration: %w", err)
	}
	url := a.api
	if url == "" {
		if url, err = a.output(ctx, cfg, stack.OutApiURL); err != nil {
			return nil, fmt.Errorf("%w (deploy it with cdk deploy, or give --api)", err)
		}
	}
	return &orchestrator.APIClient{URL: url, Region: cfg.Region, Credentials: cfg.Credentials}, nil
}

// output reads the output key of the CloudFormation stack.
func (a *awsFlags) output(ctx context.Context, cfg aws.Config, key string) (string, error) {
	out, err := cloudformation.NewFromConfig(cfg).DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: &a.stackName})
	if err != nil {
		return "", fmt.Errorf("read the outputs of stack %s: %w", a.stackName, err)
	}
	for _, s := range out.Stacks {
		for _, o := range s.Outputs {
			if o.OutputKey != nil && *o.OutputKey == key && o.OutputValue != nil {
				return *o.OutputValue, nil
			}
		}
	}
	return "", fmt.Errorf("stack %s has no %s output", a.stackName, key)
}

// runAWS submits spec to the deployed stack, follows it until it is
// reported, and prints the report. A first interrupt aborts the run (its
// workers stop within 2 s) and keeps following it to its report.
func runAWS(s events.RunSpec, f *runFlags, stdout, stderr io.Writer) error {
	ctx := context.Background()
	c, err := f.aws.client(ctx)
	if err != nil {
		return err
	}
	sched, _, stop := signalContexts()
	defer stop()
	watch := &awsThresholds{ths: s.Thresholds, steps: newStepWatch(s.Load), seen: map[int]time.Time{}}
	rep, err := awsRun(ctx, sched, c, s, f, stderr, watch)
	if err != nil {
		return err
	}
	if sched.Err() == nil && watch.why == "" {
		// A find-max search runs its steps as runs of their own; the
		// printed report carries them (the stored one is the staircase's).
		_, serr := searchMax(s, rep, func(seg events.RunSpec) (*events.Report, error) {
			return awsRun(ctx, sched, c, seg, f, stderr, nil)
		}, stderr)
		if serr != nil {
			fmt.Fprintln(stderr, serr)
		}
	}
	if f.json {
		err = writeJSON(stdout, rep)
	} else {
		err = report.Text(stdout, rep)
	}
	if err != nil {
		return err
	}
	if watch.why != "" {
		return &thresholdError{watch.why}
	}
	return failedThresholds(rep)
}

// awsThresholds judges a deployed run's thresholds that have an abort on
// the shards' live progress, as the local backend does.
type awsThresholds struct {
	ths  []events.Threshold
	w    *report.Watch
	made bool
	why  string
	// steps ends a find-max staircase after the step that broke its SLO,
	// at stopAt (from the run's start), as the local backend does.
	steps  *stepWatch
	seen   map[int]time.Time // each shard's last progress fed to steps
	stopAt time.Duration     // 0: not yet
}

// staircaseOver reports whether the run has reached the end of the step
// that broke its SLO.
func (a *awsThresholds) staircaseOver(st *orchestrator.Status, stderr io.Writer) bool {
	if a == nil || a.steps == nil {
		return false
	}
	for _, l := range st.Live {
		if !l.T.After(a.seen[l.Shard]) {
			continue
		}
		a.seen[l.Shard] = l.T
		step, why, broke := a.steps.update(engine.Progress{Elapsed: time.Duration(l.ElapsedS * float64(time.Second)),
			IntervalRequests: l.IntervalRequests, IntervalSuccess: l.IntervalSuccess,
			IntervalP99: time.Duration(l.IntervalP99Ms * float64(time.Millisecond))})
		if broke {
			a.stopAt = step.To
			fmt.Fprintf(stderr, "find-max: step %d (%g/s) broke the SLO (%s): the staircase ends with it\n", step.Index, step.Rate, why)
		}
	}
	start, err := time.Parse(time.RFC3339, st.StartAt)
	return a.stopAt > 0 && err == nil && time.Since(start) >= a.stopAt
}

// update feeds a status; it returns why the run must stop, once.
func (a *awsThresholds) update(st *orchestrator.Status) string {
	if a == nil || a.why != "" || len(st.Live) == 0 {
		return ""
	}
	if !a.made {
		a.w, a.made = report.NewWatch(a.ths, st.Shards.Planned), true
	}
	if a.w == nil {
		return ""
	}
	for _, l := range st.Live {
		why := a.w.Update(l.Shard, time.Duration(l.ElapsedS*float64(time.Second)),
			report.Live{Requests: l.Requests, Errors: l.Errors, P99: time.Duration(l.P99Ms * float64(time.Millisecond))})
		if why != "" {
			a.why = why
			return why
		}
	}
	return ""
}

// awsRun submits s to the deployment's API, follows it until its report is
// in, and returns the report; a done sched aborts the run.
func awsRun(ctx, sched context.Context, c *orchestrator.APIClient, s events.RunSpec, f *runFlags, stderr io.Writer,
	watch *awsThresholds) (*events.Report, error) {
	res, err := c.Submit(ctx, s, "", f.kind)
	var ae *orchestrator.APIError
	if errors.As(err, &ae) && ae.Status == 400 {
		return nil, badInput("%v", err)
	}
	if err != nil {
		return nil, err
	}
	fmt.Fprint(stderr, plan.Summary(res.Plan))
	abortSent := false
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-sched.Done():
			if !abortSent {
				abortSent = true
				if err := c.Abort(ctx, res.RunID); err != nil {
					fmt.Fprintln(stderr, "abort:", err)
				}
			}
		case <-t.C:
		}
		st, err := c.Status(ctx, res.RunID)
		if err != nil {
			fmt.Fprintln(stderr, "status:", err)
			continue
		}
		if !f.quiet {
			fmt.Fprintf(stderr, "[%s  %s  shards: %d claimed, %d reported of %d  %.0f/s  %d requests]\n", res.RunID, st.State,
				st.Shards.Claimed, st.Shards.Reported, st.Shards.Planned, st.Rate, st.Requests)
		}
		if watch.staircaseOver(st, stderr) && !abortSent {
			abortSent = true
			if err := c.Abort(ctx, res.RunID); err != nil {
				fmt.Fprintln(stderr, "abort:", err)
			}
		}
		if why := watch.update(st); why != "" && !abortSent {
			fmt.Fprintln(stderr, why)
			abortSent = true
			if err := c.Abort(ctx, res.RunID); err != nil {
				fmt.Fprintln(stderr, "abort:", err)
			}
		}
		if st.State == orchestrator.StateComplete || st.State == orchestrator.StatePartial {
			break
		}
	}
	return c.Report(ctx, res.RunID)
}

// cmdStatus prints a deployed run's state: barrage status RUN [--json].
func cmdStatus(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var a awsFlags
	a.register(fs)
	asJSON := fs.Bool("json", false, "print the status as JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return badInput("status takes one RUN id")
	}
	c, err := a.client(context.Background())
	if err != nil {
		return err
	}
	st, err := c.Status(context.Background(), pos[0])
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	fmt.Fprintf(stdout, "run %s: %s; shards %d planned, %d claimed, %d reported, %d missed; %d requests, %.0f/s now; start %s, reported by %s\n",
		st.RunID, st.State, st.Shards.Planned, st.Shards.Claimed, st.Shards.Reported, st.Shards.Missed,
		st.Requests, st.Rate, st.StartAt, st.Deadline)
	return nil
}

// cmdAbort stops a deployed run: barrage abort RUN.
func cmdAbort(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("abort", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var a awsFlags
	a.register(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return badInput("abort takes one RUN id")
	}
	c, err := a.client(context.Background())
	if err != nil {
		return err
	}
	if err := c.Abort(context.Background(), pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "run %s: abort requested; its workers stop within 2 s\n", pos[0])
	return nil
}
