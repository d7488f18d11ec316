package main

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/spec"
)

// TestApplyFlags: each flag that overrides a field of the spec sets that
// field, and only it. Every row reads a spec file with its flags and
// compares the whole spec with the file as read, changed as the row says;
// the load flags have their own test (TestLoadFlags).
func TestApplyFlags(t *testing.T) {
	dir := t.TempDir()
	bodyFile := filepath.Join(dir, "body.json")
	targetsFile := filepath.Join(dir, "targets.txt")
	for name, text := range map[string]string{bodyFile: `{"from": "file"}`, targetsFile: "DELETE http://c.test/x\n"} {
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	full := writeSpec(t, `
name: from-spec
duration: 1m
load: {rate: 10}
timeout: 3s
workers: 2
keepalive: true
max_inflight: 4
connections: 2
late_limit: 20ms
allow_hosts: [a.test]
targets:
  - {url: "http://a.test/", method: POST, body: b, headers: {X-A: "1", X-B: spec}}
  - {url: "http://b.test/"}
`)
	bare := writeSpec(t, "duration: 1m\ntargets: [{url: \"http://a.test/\"}]\n") // no timeout
	eachTarget := func(edit func(*events.Target)) func(*events.RunSpec) {
		return func(s *events.RunSpec) {
			for i := range s.Targets {
				edit(&s.Targets[i])
			}
		}
	}
	no, zero := false, events.Duration(0)
	tests := []struct {
		name  string
		spec  string
		flags []string
		want  func(*events.RunSpec) // the change to the spec read without flags; nil: none
		err   string                // bad input starting so, instead
	}{
		{"no flags", full, nil, nil, ""},
		{"method on every target", full, []string{"--method", "PUT"},
			eachTarget(func(t *events.Target) { t.Method = "PUT" }), ""},
		{"body on every target", full, []string{"--body", "x"},
			eachTarget(func(t *events.Target) { t.Body = "x" }), ""},
		{"body from a file", full, []string{"--body", "@" + bodyFile},
			eachTarget(func(t *events.Target) { t.Body = `{"from": "file"}` }), ""},
		{"headers merged over the spec's, repeats joined", full,
			[]string{"--header", "X-B: flag", "--header", " X-C : 1", "--header", "X-C: 2"},
			eachTarget(func(t *events.Target) {
				m := map[string]string{"X-B": "flag", "X-C": "1, 2"}
				if t.Headers["X-A"] != "" {
					m["X-A"] = t.Headers["X-A"]
				}
				t.Headers = m
			}), ""},
		{"--target replaces the targets", full, []string{"--target", "http://c.test/", "--method", "PUT"},
			func(s *events.RunSpec) { s.Targets = []events.Target{{URL: "http://c.test/", Method: "PUT"}} }, ""},
		{"--target and --targets together", full, []string{"--target", "http://c.test/", "--targets", targetsFile},
			func(s *events.RunSpec) {
				s.Targets = []events.Target{{URL: "http://c.test/"}, {Method: "DELETE", URL: "http://c.test/x"}}
			}, ""},
		{"timeout", full, []string{"--timeout", "5s"}, func(s *events.RunSpec) { s.Timeout = events.Duration(5 * time.Second) }, ""},
		{"a spec without a timeout gets the default", bare, nil,
			func(s *events.RunSpec) { s.Timeout = events.Duration(events.DefaultTimeout) }, ""},
		{"workers", full, []string{"--workers", "7"}, func(s *events.RunSpec) { s.Workers = 7 }, ""},
		{"keepalive off", full, []string{"--keepalive=false"}, func(s *events.RunSpec) { s.KeepAlive = &no }, ""},
		{"http2", full, []string{"--http2"}, func(s *events.RunSpec) { s.HTTP2 = true }, ""},
		{"h2c", full, []string{"--h2c"}, func(s *events.RunSpec) { s.H2C = true }, ""},
		{"insecure", full, []string{"--insecure"}, func(s *events.RunSpec) { s.Insecure = true }, ""},
		{"max-inflight", full, []string{"--max-inflight", "9"}, func(s *events.RunSpec) { s.MaxInflight = 9 }, ""},
		{"late-limit 0", full, []string{"--late-limit", "0"}, func(s *events.RunSpec) { s.LateLimit = &zero }, ""},
		{"connections", full, []string{"--connections", "5"}, func(s *events.RunSpec) { s.Connections = 5 }, ""},
		{"name", full, []string{"--name", "flagged"}, func(s *events.RunSpec) { s.Name = "flagged" }, ""},
		{"allow-hosts", full, []string{"--allow-hosts", "x.test, *.y.test"},
			func(s *events.RunSpec) { s.AllowHosts = []string{"x.test", "*.y.test"} }, ""},
		{"duration 0", full, []string{"--duration", "0s"}, nil, "--duration must be positive"},
		{"timeout 0", full, []string{"--timeout", "0s"}, nil, "--timeout must be positive"},
		{"unreadable body file", full, []string{"--body", "@" + filepath.Join(dir, "none")}, nil, "--body: cannot read body file"},
		{"header without a colon", full, []string{"--header", "X-A"}, nil, `--header "X-A"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := spec.LoadFrom(tt.spec, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != nil {
				tt.want(&want)
			}
			got, _, err := specFromArgs(append([]string{tt.spec}, tt.flags...), strings.NewReader(""))
			var ue *usageError
			switch {
			case tt.err != "":
				if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), tt.err) {
					t.Errorf("error %v; want bad input starting %q", err, tt.err)
				}
			case err != nil:
				t.Fatal(err)
			case !reflect.DeepEqual(got, want):
				t.Errorf("spec\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestOverridesCoverFlags: every flag of run and plan either overrides a
// field of the spec through a row of specOverrides, or is named below as
// one that does something else; and every row names a flag of both. A new
// flag fails this test until it is given its place.
func TestOverridesCoverFlags(t *testing.T) {
	elsewhere := map[string]string{ // flag → what handles it
		"target": "applyFlags", "targets": "applyFlags",
		"rate": "applyLoadFlags", "ramp-to": "applyLoadFlags", "duration": "applyLoadFlags",
		"backend": "not the spec", "kind": "not the spec", "stack": "not the spec", "api": "not the spec",
		"out": "not the spec", "procs": "not the spec", "json": "not the spec", "quiet": "not the spec",
		"demo": "not the spec", "debug": "not the spec", "metrics-addr": "not the spec",
		"lambda-concurrency": "not the spec", "fargate-vcpu": "not the spec",
	}
	rows := map[string]bool{}
	for _, o := range specOverrides {
		if rows[o.flag] {
			t.Errorf("specOverrides: two rows for --%s", o.flag)
		}
		rows[o.flag] = true
	}
	for _, cmd := range []string{"run", "plan"} {
		names := flagNames(cmd)
		for _, n := range names {
			if _, ok := elsewhere[n]; !rows[n] && !ok {
				t.Errorf("%s --%s: neither a row of specOverrides nor handled elsewhere", cmd, n)
			}
		}
		for row := range rows {
			if !slices.Contains(names, row) {
				t.Errorf("specOverrides' row --%s is not a flag of %s", row, cmd)
			}
		}
	}
}
