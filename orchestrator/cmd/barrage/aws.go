package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/barrage-load/barrage/orchestrator"
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
	// Requests are signed for the region in the API's host name; the
	// configured one serves a custom domain.
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
