package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/barrage-load/barrage/orchestrator"
	"github.com/barrage-load/barrage/pkg/awsenv"
	"github.com/barrage-load/barrage/pkg/stack"
)

// awsFlags find a deployed stack: its API URL given, or read from the
// CloudFormation stack's outputs. The environment fills what the flags
// leave out, when they are used (so that help does not depend on it).
type awsFlags struct{ api, stackName string }

func (a *awsFlags) apiFlag(fs *flagSet) {
	fs.StringVar(&a.api, "api", "", "aws backend: the stack's API `URL` (default: $BARRAGE_API_URL, else read from the stack's outputs)")
}

func (a *awsFlags) stackFlag(fs *flagSet) {
	fs.StringVar(&a.stackName, "stack", "", "aws backend: the CloudFormation stack's `NAME` (default: $BARRAGE_STACK, else "+stack.DefaultStackName+")")
}

// apiURL is --api, else $BARRAGE_API_URL; "" for neither.
func (a *awsFlags) apiURL() string { return firstOf(a.api, os.Getenv("BARRAGE_API_URL")) }

// stack is --stack, else $BARRAGE_STACK, else the default stack name.
func (a *awsFlags) stack() string {
	return firstOf(a.stackName, os.Getenv("BARRAGE_STACK"), stack.DefaultStackName)
}

// firstOf returns the first of vs that is not "".
func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// client returns an API client with the default AWS configuration. An
// http:// API on a loopback address (barrage serve) has no IAM: its
// requests are not signed, and need no AWS configuration.
func (a *awsFlags) client(ctx context.Context) (*orchestrator.APIClient, error) {
	if u, err := url.Parse(a.apiURL()); err == nil && u.Scheme == "http" && isLoopback(u.Hostname()) {
		return &orchestrator.APIClient{URL: u.String()}, nil
	}
	env, err := awsenv.Load(ctx)
	if err != nil {
		return nil, err
	}
	cfg := env.Config
	url := a.apiURL()
	if url == "" {
		if url, err = a.output(ctx, cfg, stack.OutApiURL); err != nil {
			return nil, fmt.Errorf("%w (deploy it with cdk deploy, or give --api)", err)
		}
	}
	// Requests are signed for the region in the API's host name; the
	// configured one serves a custom domain.
	return &orchestrator.APIClient{URL: url, Region: cfg.Region, Credentials: cfg.Credentials}, nil
}

// isLoopback reports whether host is a loopback address, or localhost.
func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// output reads the output key of the CloudFormation stack.
func (a *awsFlags) output(ctx context.Context, cfg aws.Config, key string) (string, error) {
	name := a.stack()
	out, err := cloudformation.NewFromConfig(cfg).DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: &name})
	if err != nil {
		return "", fmt.Errorf("read the outputs of stack %s: %w", name, err)
	}
	for _, s := range out.Stacks {
		for _, o := range s.Outputs {
			if o.OutputKey != nil && *o.OutputKey == key && o.OutputValue != nil {
				return *o.OutputValue, nil
			}
		}
	}
	return "", fmt.Errorf("stack %s has no %s output", name, key)
}

func defineStatus(fs *flagSet) runner {
	var a awsFlags
	a.apiFlag(fs)
	a.stackFlag(fs)
	asJSON := fs.Bool("json", false, "print the status as JSON")
	return func(pos []string, std stdio) error { return cmdStatus(&a, *asJSON, pos, std.out) }
}

// cmdStatus prints a deployed run's state: barrage status RUN [--json].
func cmdStatus(a *awsFlags, asJSON bool, pos []string, stdout io.Writer) error {
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
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	fmt.Fprintf(stdout, "run %s: %s; shards %d planned, %d claimed, %d reported, %d missed; %d requests, %.0f/s now; start %s, reported by %s\n",
		st.RunID, st.State, st.Shards.Planned, st.Shards.Claimed, st.Shards.Reported, st.Shards.Missed,
		st.Requests, st.Rate, st.StartAt, st.Deadline)
	return nil
}

func defineAbort(fs *flagSet) runner {
	var a awsFlags
	a.apiFlag(fs)
	a.stackFlag(fs)
	return func(pos []string, std stdio) error { return cmdAbort(&a, pos, std.out) }
}

// cmdAbort stops a deployed run: barrage abort RUN.
func cmdAbort(a *awsFlags, pos []string, stdout io.Writer) error {
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
