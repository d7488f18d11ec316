package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/internal/guardtest"
)

// TestAllowHostsRefused: with --allow-hosts (or the spec's allow_hosts),
// every host a run may contact is checked before anything is sent. Each
// row is one way around a check of the targets alone; each exits 2 with
// one line per refusal naming the field and the host, and the listener
// on the host that is not allowed (127.0.0.2, another address of this
// machine) accepts nothing.
func TestAllowHostsRefused(t *testing.T) {
	ok, okHits := countingServer(t) // on 127.0.0.1: allowed
	evil := guardtest.Listen(t, "127.0.0.2")
	// An issuer on the allowed host whose discovery document sends the
	// token endpoint to the other host.
	issuer := guardtest.Issuer(t, map[string]string{"token_endpoint": evil.URL + "/token"})
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	steps := func(urls ...string) string {
		s := "scenarios:\n  - name: s\n    vars: {base: '" + evil.URL + "'}\n    steps:\n"
		for _, u := range urls {
			s += "      - {url: '" + u + "', extract: [{var: next, from: header, expr: Location, default: ''}]}\n"
		}
		return s + "load: {rate: 5}\nduration: 1s\n"
	}
	flow := func(issuer string) string {
		return "scenarios:\n  - name: cc\n    flow: {grant: client_credentials, issuer: '" + issuer + "', client_id: c}\n" +
			"load: {rate: 5}\nduration: 1s\n"
	}
	tests := []struct {
		name  string
		args  []string
		lines []string // one per refusal, each a part of its line
	}{
		// A scenario step to another host, after a step to an allowed one.
		{"scenario step", []string{"run", write("step.yaml", steps(ok.URL+"/", evil.URL+"/")), "--allow-hosts", "127.0.0.1"},
			[]string{`scenarios[0].steps[1].url: host "127.0.0.2" is not on the allow-list`}},
		// A step whose host comes from vars is resolved up front.
		{"host from vars", []string{"run", write("vars.yaml", steps("{{base}}/token")), "--allow-hosts", "127.0.0.1"},
			[]string{`scenarios[0].steps[0].url: host "127.0.0.2" is not on the allow-list`}},
		// A host only known at run time (an extracted value) is refused.
		{"host from a response", []string{"run", write("extracted.yaml", steps(ok.URL+"/", "{{next}}")), "--allow-hosts", "127.0.0.1"},
			[]string{`scenarios[0].steps[1].url: the host of "{{next}}" is only known at run time`}},
		// The spec's allow_hosts works as the flag does.
		{"spec field", []string{"run", write("field.yaml", "allow_hosts: ['127.0.0.1']\n"+steps(ok.URL+"/", evil.URL+"/x"))},
			[]string{`scenarios[0].steps[1].url: host "127.0.0.2" is not on the allow-list`}},
		// An OIDC flow's issuer on another host.
		{"issuer", []string{"run", write("issuer.yaml", flow(evil.URL+"/realms/x")), "--allow-hosts", "127.0.0.1"},
			[]string{`scenarios[0].flow.issuer: host "127.0.0.2" is not on the allow-list`}},
		// An issuer that is allowed, whose discovery returns a token
		// endpoint on another host.
		{"discovered token endpoint", []string{"run", write("discovery.yaml", flow(issuer)), "--allow-hosts", "127.0.0.1"},
			[]string{`scenarios[0].flow.issuer: discovery lists token_endpoint ` + evil.URL + `/token: host "127.0.0.2" is not on the allow-list`}},
		// Targets, two at once: every problem is reported.
		{"targets", []string{"run", "--target", evil.URL + "/a", "--target", "http://127.0.0.3:1/b", "--allow-hosts", "127.0.0.1,*.example.com",
			"--rate", "5", "--duration", "1s"},
			[]string{`targets[0].url: host "127.0.0.2" is not on the allow-list`, `targets[1].url: host "127.0.0.3" is not on the allow-list`}},
		// A monitor endpoint on another host (issue 13).
		{"monitor", []string{"run", write("monitor.yaml", "targets: [{url: '"+ok.URL+"/'}]\nload: {rate: 5}\nduration: 1s\n"+
			"monitor: [{url: '"+evil.URL+"/metrics', series: [process_cpu_usage]}]\n"), "--allow-hosts", "127.0.0.1"},
			[]string{`monitor[0].url: host "127.0.0.2" is not on the allow-list`}},
		// A pattern that cannot match what it means.
		{"bad pattern", []string{"run", "--target", ok.URL, "--allow-hosts", "https://127.0.0.1", "--rate", "5", "--duration", "1s"},
			[]string{`allow_hosts[0]: "https://127.0.0.1" is not a host pattern`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := okHits.Load()
			r := barrage(t, 30*time.Second, append(tt.args, "--out", filepath.Join(dir, "out"), "--quiet")...)
			if r.code != 2 {
				t.Errorf("exit %d; want 2\nstderr: %s", r.code, r.stderr)
			}
			lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
			if len(lines) != len(tt.lines) {
				t.Errorf("stderr has %d lines; want %d:\n%s", len(lines), len(tt.lines), r.stderr)
			}
			for i, want := range tt.lines {
				if i >= len(lines) || !strings.HasPrefix(lines[i], "barrage: ") || !strings.Contains(lines[i], want) {
					t.Errorf("stderr line %d does not contain %q:\n%s", i+1, want, r.stderr)
				}
			}
			if n := okHits.Load() - before; n > 0 {
				t.Errorf("the allowed server got %d requests; want none sent", n)
			}
		})
	}
	if n := evil.Accepts.Load(); n != 0 {
		t.Errorf("the host that is not allowed accepted %d connections; want 0", n)
	}
}

// TestRedirectRefused: a journey that follows redirects checks each
// Location's host before it follows it. A redirect is only known at run
// time, so the run goes on: the step fails with forbidden_host, and the
// other host accepts nothing.
func TestRedirectRefused(t *testing.T) {
	evil := guardtest.Listen(t, "127.0.0.2")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, evil.URL+"/landing", http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	spec := filepath.Join(dir, "redirect.yaml")
	os.WriteFile(spec, []byte("scenarios:\n  - name: r\n    steps:\n      - {name: go, url: '"+srv.URL+"/', follow_redirects: true}\n"+
		"load: {rate: 10}\nduration: 1s\n"), 0o644)
	r := barrage(t, 30*time.Second, "run", spec, "--allow-hosts", "127.0.0.1", "--json", "--quiet", "--out", filepath.Join(dir, "out"))
	var rep events.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("exit %d, stdout: %v\nstderr: %s", r.code, err, r.stderr)
	}
	if rep.Requests == 0 || rep.Errors["forbidden_host"] != rep.Requests || rep.ErrorDetails["forbidden_host not_allowed"] != rep.Requests {
		t.Errorf("requests %d, errors %v; want every step refused (forbidden_host not_allowed)", rep.Requests, rep.ErrorDetails)
	}
	if n := evil.Accepts.Load(); n != 0 {
		t.Errorf("the redirect's host accepted %d connections; want 0", n)
	}
}

// TestMetadataNameRefused: a target whose name resolves (through
// /etc/hosts, in a mount and network namespace of the test's own) to
// 169.254.169.254 is refused before anything is sent, with exit 2 and
// one line; the listener on that address, in the same namespace,
// accepts nothing; so is the address written literally. No allow-list is
// needed for that.
func TestMetadataNameRefused(t *testing.T) {
	if !guardtest.InNetns(t, "169.254.169.254 metadata.test\n") {
		return
	}
	meta := guardtest.Listen(t, "169.254.169.254")
	_, port, _ := strings.Cut(strings.TrimPrefix(meta.URL, "http://"), ":")
	for target, want := range map[string]string{
		"http://metadata.test:" + port + "/":   `targets[0].url: host "metadata.test" resolves to 169.254.169.254, an instance-metadata address, which is never contacted`,
		"http://169.254.169.254:" + port + "/": `targets[0].url: host "169.254.169.254" is an instance-metadata address, which is never contacted`,
	} {
		var stdout, stderr strings.Builder
		code := cli([]string{"run", "--target", target, "--rate", "5", "--duration", "1s",
			"--quiet", "--out", t.TempDir()}, strings.NewReader(""), &stdout, &stderr)
		if code != 2 || strings.Count(stderr.String(), "\n") != 1 || !strings.Contains(stderr.String(), want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and one line containing %q", target, code, stderr.String(), want)
		}
	}
	if n := meta.Accepts.Load(); n != 0 {
		t.Errorf("the metadata listener accepted %d connections; want 0", n)
	}
}
