package journey

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/barrage-load/barrage/pkg/secret"
)

// DebugBody is how much of a request or response body a debug dump shows.
const DebugBody = 2 << 10

// Debug dumps the first steps a run sends, requests and responses, with
// secrets, tokens, passwords, Authorization headers and cookies redacted:
// for checking a scenario against a real server before loading it.
type Debug struct {
	w    io.Writer
	red  *secret.Redactor
	left atomic.Int64
	mu   sync.Mutex
}

// NewDebug dumps at most n steps to w, redacting with red (which the
// secret resolver feeds the values it resolves; nil redacts only by field
// and header name).
func NewDebug(w io.Writer, n int, red *secret.Redactor) *Debug {
	if red == nil {
		red = secret.NewRedactor()
	}
	d := &Debug{w: w, red: red}
	d.left.Store(int64(n))
	return d
}

// Redactor is the redactor d uses.
func (d *Debug) Redactor() *secret.Redactor { return d.red }

func (d *Debug) take() bool { return d != nil && d.left.Add(-1) >= 0 }

// dump writes one exchange.
func (d *Debug) dump(scenario, step string, req *http.Request, payload []byte, res *http.Response, body []byte, err error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "--- %s/%s\n> %s %s\n", scenario, step, req.Method, d.red.URL(req.URL.String()))
	headers(&b, "> ", d.red.Header(req.Header))
	if len(payload) > 0 {
		fmt.Fprintf(&b, ">\n%s\n", clip(d.red.Body(req.Header.Get("Content-Type"), payload)))
	}
	if err != nil {
		fmt.Fprintf(&b, "< error: %s\n", d.red.Error(err))
	} else {
		fmt.Fprintf(&b, "< %s %s\n", res.Proto, res.Status)
		headers(&b, "< ", d.red.Header(res.Header))
		if len(body) > 0 {
			fmt.Fprintf(&b, "<\n%s\n", clip(d.red.Body(res.Header.Get("Content-Type"), body)))
		}
	}
	d.mu.Lock()
	d.w.Write(b.Bytes())
	d.mu.Unlock()
}

func headers(b *bytes.Buffer, prefix string, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s%s: %s\n", prefix, k, v)
		}
	}
}

func clip(b []byte) []byte {
	if len(b) > DebugBody {
		return append(b[:DebugBody:DebugBody], []byte(fmt.Sprintf("… (%d bytes)", len(b)))...)
	}
	return b
}
