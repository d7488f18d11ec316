package journey

import (
	"bytes"
	"errors"
	"io"
	"net/url"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/scenario"
)

// FromQuery is an extractor source of this package besides pkg/scenario's:
// a query parameter of the response's Location header (a redirect), or of
// the final URL when redirects were followed. An OAuth authorization
// response carries its code this way.
const FromQuery = "query"

// response is what a step's extractors read.
type response struct {
	scenario.Response
	url *url.URL // the request's URL (the last one, after redirects)
}

// extractor is a compiled events.Extract.
type extractor struct {
	x     events.Extract
	slot  int
	inner *scenario.Extractor // nil for FromQuery
	// keep: an answer without the value leaves the variable as it was
	// (a refresh answer without a new refresh token). missing is the
	// detail of the iteration's end when the value is missing, if not the
	// variable's name.
	keep    bool
	missing string
}

func compileExtract(x events.Extract, names *scenario.Names) (*extractor, error) {
	if x.From == FromQuery {
		if x.Expr == "" {
			return nil, &events.FieldError{Field: "expr", Msg: "names no query parameter"}
		}
		i, err := names.Declare(x.Var)
		if err != nil {
			return nil, &events.FieldError{Field: "var", Msg: err.Error()}
		}
		return &extractor{x: x, slot: i}, nil
	}
	in, err := scenario.CompileExtractor(scenario.ExtractorSpec{Var: x.Var, From: x.From, Expr: x.Expr,
		Index: x.Index, Default: x.Default}, names)
	if err != nil {
		return nil, err
	}
	return &extractor{x: x, slot: in.Var(), inner: in}, nil
}

// detail is the detail of an iteration that ends because the value is
// missing.
func (e *extractor) detail() string {
	if e.missing != "" {
		return e.missing
	}
	return e.x.Var
}

var errNoParam = errors.New("query parameter not found")

func (e *extractor) apply(r *response, v *scenario.Vars) error {
	if e.keep && e.inner != nil {
		if val, err := e.inner.Extract(&r.Response); err == nil {
			v.Set(e.slot, val)
		}
		return nil
	}
	if e.inner != nil {
		return e.inner.Apply(&r.Response, v)
	}
	u := r.url
	if loc := r.Header.Get("Location"); loc != "" {
		if l, err := url.Parse(loc); err == nil {
			u = l
		}
	}
	if u != nil {
		if vals := u.Query()[e.x.Expr]; len(vals) > 0 {
			v.Set(e.slot, vals[0])
			return nil
		}
	}
	if e.x.Default != nil {
		v.Set(e.slot, *e.x.Default)
		return nil
	}
	v.Unset(e.slot)
	return errNoParam
}

func bytesReader(b []byte) io.Reader {
	if b == nil {
		return nil
	}
	return bytes.NewReader(b)
}

// readAtMost appends up to max bytes of r to dst.
func readAtMost(dst []byte, r io.Reader, max int) ([]byte, error) {
	for len(dst) < max {
		if cap(dst) == len(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		n, err := r.Read(dst[len(dst):min(cap(dst), max)])
		dst = dst[:len(dst)+n]
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// unwrapURL drops net/http's *url.Error, whose message holds the URL (and
// with it whatever the URL's template put there), keeping its cause.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
