package spec

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzDecode checks that Decode never panics, that its errors are *Error on
// one line, and that whatever it accepts survives a trip through JSON, the
// form in which a spec is stored and sent to workers.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.*")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, strings.HasSuffix(p, ".json"))
	}
	f.Add([]byte("targets: [&t {url: 'http://a', headers: {A: b}}, {<<: *t, method: POST}]\nkeepalive: yes\n"), false)
	f.Add([]byte("load: {rate: 1.5e3, shape: ramp, from: 0x10, to: !!float 3}\nduration: -1h\n"), false)
	f.Add([]byte(`{"Load": {"RATE": 5}, "targets": [{"url": "http://a", "headers": {}}], "keepalive": null}`), true)
	f.Add([]byte("name: !!binary aGk=\ntargets: ~\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, asJSON bool) {
		name := "f.yaml"
		if asJSON {
			name = "f.json"
		}
		s, err := Decode(data, name)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error %q spans lines", err)
			}
			return
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("accepted %+v, which does not marshal: %v", s, err)
		}
		again, err := Decode(b, "again.json")
		if err != nil {
			t.Fatalf("Decode(%s): %v", b, err)
		}
		if !reflect.DeepEqual(s, again) {
			t.Fatalf("round trip through JSON changed the spec:\n got %#v\nwant %#v", again, s)
		}
		// Validate reads anything Decode accepts without panicking.
		_ = Check(s.WithDefaults(), name)
	})
}
