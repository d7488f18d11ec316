package targets

import (
	"net/url"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add("GET http://localhost:8080/\n")
	f.Add("POST https://a.example/x\nContent-Type: application/json\n@b.json\n\nGET http://a/2\nX: 1\nx: 2\n")
	f.Add("# c\n\nhttp://a/\n")
	f.Add("GET localhost:80\nHost: a\n")
	f.Add("PUT HTTP://[::1]:80/\r\n@\r\n")
	f.Add("DNT : 1\nGET http://a/\n@b.json\nGET http://b/\n")
	read := func(p string) ([]byte, error) {
		if p == "b.json" {
			return []byte(`{"a":1}`), nil
		}
		return nil, &Error{File: p, Msg: "not found"}
	}
	f.Fuzz(func(t *testing.T, in string) {
		ts, err := Parse(strings.NewReader(in), "f.txt", read)
		if err != nil {
			if ts != nil {
				t.Errorf("Parse returned targets with error %v", err)
			}
			if _, ok := err.(*Error); !ok {
				t.Errorf("error %T is not *Error", err)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Errorf("error %q spans lines", err)
			}
			return
		}
		if len(ts) == 0 {
			t.Fatal("no targets and no error")
		}
		for _, tg := range ts {
			u, err := url.Parse(tg.URL)
			if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Hostname() == "" {
				t.Errorf("accepted URL %q (%v)", tg.URL, err)
			}
			if tg.Method == "" || strings.ContainsAny(tg.Method, " \t\r\n:") {
				t.Errorf("accepted method %q", tg.Method)
			}
			for k, v := range tg.Headers {
				if k == "" || strings.ContainsAny(k, " \t\r\n:") || strings.ContainsAny(v, "\r\n\x00") {
					t.Errorf("accepted header %q: %q", k, v)
				}
			}
		}
	})
}
