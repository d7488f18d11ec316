package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSpecOnStdin: a spec read from standard input (barrage run -) has its
// body_file and csv.file read like a spec file's, relative to the working
// directory: the server receives the file's body and the CSV's values.
func TestSpecOnStdin(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{} // "path body user" → requests
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen[r.URL.Path+" "+string(b)+" "+r.Header.Get("X-User")]++
		mu.Unlock()
	}))
	defer srv.Close()
	dir := t.TempDir()
	for name, content := range map[string]string{"body.json": `{"sku":"A-1"}`, "users.csv": "user\nann\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	spec := `
load: {rate: 10}
duration: 1s
targets:
  - {name: order, method: POST, url: "` + srv.URL + `/order", body_file: body.json}
scenarios:
  - name: shop
    csv: {file: users.csv}
    steps: [{url: "` + srv.URL + `/shop", headers: {X-User: "{{user}}"}}]
`
	r := barrageIn(t, 30*time.Second, dir, strings.NewReader(spec), "run", "-", "--quiet", "--json", "--out", t.TempDir())
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr: %s", r.code, r.stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if seen[`/order {"sku":"A-1"} `] == 0 || seen["/shop  ann"] == 0 || len(seen) != 2 {
		t.Errorf("the server saw %v; want POST /order with body.json's body and GET /shop as ann", seen)
	}
}

// TestSpecOnStdinMissingFile: a body_file that is not there names the
// field and says where a spec on standard input looks for it.
func TestSpecOnStdinMissingFile(t *testing.T) {
	spec := "targets:\n  - {url: \"http://127.0.0.1:1/\", body_file: nope.json}\n"
	r := barrageIn(t, 10*time.Second, t.TempDir(), strings.NewReader(spec), "run", "-")
	want := "barrage: stdin: targets[0].body_file: cannot read nope.json (relative to the working directory: the spec came from standard input): no such file or directory\n"
	if r.code != exitBadInput || r.stderr != want {
		t.Errorf("exit %d, stderr %q\nwant 2, %q", r.code, r.stderr, want)
	}
}
