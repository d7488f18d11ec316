package reduce

import (
	"bytes"
	"encoding/base64"

	jsonv2 "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/barrage-load/barrage/events"
)

// decodeResult decodes a stored result as jsonv2.Unmarshal does under
// encoding/json's options, at a fraction of its cost on the part that
// weighs: a result's series (a second's point and its base64 histograms,
// 84 % of a result's bytes) goes through decodeSeries, which copies each
// histogram's base64 straight into one buffer of the result, and the rest
// through the generic decoder. decodeSeries accepts only the plain form a
// worker writes (encoding/json's: no white space, no escapes, known keys
// once each, integers as integers): on anything else, and on any error,
// the whole result goes through the generic decoder, so that what
// decodeResult returns, error included, is always the generic decoder's.
func decodeResult(body []byte) (*events.ShardResult, error) {
	res := new(events.ShardResult)
	if start, end, series, ok := seriesSpan(body); ok {
		rest := make([]byte, 0, len(body)-(end-start)+4)
		rest = append(append(append(rest, body[:start]...), "null"...), body[end:]...)
		if jsonv2.Unmarshal(rest, res, jsonv1.DefaultOptionsV1()) == nil {
			res.Series = series
			return res, nil
		}
		*res = events.ShardResult{} // the generic decoder says what is wrong
	}
	if err := jsonv2.Unmarshal(body, res, jsonv1.DefaultOptionsV1()); err != nil {
		return nil, err
	}
	return res, nil
}

// seriesSpan finds the value of the top-level member "series" of the JSON
// object in b and decodes it (decodeSeries). It reports false when b is
// not an object it can walk, when a top-level name holds an escape, when a
// name other than exactly "series" matches it as encoding/json matches
// names (case-insensitively), or when the series is not in the plain form.
// It does not validate the rest of b: the generic decoder does.
func seriesSpan(b []byte) (start, end int, series []events.SeriesPoint, ok bool) {
	i := skipSpace(b, 0)
	if i == len(b) || b[i] != '{' {
		return 0, 0, nil, false
	}
	found := false
	for i = skipSpace(b, i+1); ; {
		if i == len(b) || b[i] != '"' {
			return 0, 0, nil, false
		}
		k := skipString(b, i)
		if k < 0 {
			return 0, 0, nil, false
		}
		name := b[i+1 : k-1]
		if i = skipSpace(b, k); i == len(b) || b[i] != ':' {
			return 0, 0, nil, false
		}
		if bytes.IndexByte(name, '\\') >= 0 {
			return 0, 0, nil, false
		}
		vs, ve := skipSpace(b, i+1), 0
		if bytes.EqualFold(name, []byte("series")) {
			if found || string(name) != "series" {
				return 0, 0, nil, false
			}
			if series, ve, ok = decodeSeries(b, vs); !ok {
				return 0, 0, nil, false
			}
			start, end, found = vs, ve, true
		} else if ve = skipValue(b, vs); ve < 0 {
			return 0, 0, nil, false
		}
		switch i = skipSpace(b, ve); {
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
		case i < len(b) && b[i] == '}':
			return start, end, series, found
		default:
			return 0, 0, nil, false
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the string that starts at b[i]
// (a quote), or -1.
func skipString(b []byte, i int) int {
	for j := i + 1; ; {
		q := bytes.IndexByte(b[j:], '"')
		if q < 0 {
			return -1
		}
		j += q
		bs := 0 // the backslashes before it: an odd number escapes it
		for bs < j-i-1 && b[j-1-bs] == '\\' {
			bs++
		}
		if bs%2 == 0 {
			return j + 1
		}
		j++
	}
}

// skipValue returns the index just past the value that starts at b[i], or
// -1: an object or array up to its closing bracket, a string, or a scalar
// up to the next delimiter.
func skipValue(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch c := b[i]; {
		case c == '"':
			if i = skipString(b, i); i < 0 || depth == 0 {
				return i
			}
			continue
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			if depth == 0 {
				return i
			}
			if depth--; depth == 0 {
				return i + 1
			}
		case depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return i
		}
		i++
	}
	if depth == 0 {
		return i
	}
	return -1
}

// decodeSeries decodes the JSON array of series points at b[i], up to
// the index end just past it, or reports false if it is not in the plain
// form (see decodeResult). The points' histograms share one buffer.
func decodeSeries(b []byte, i int) (series []events.SeriesPoint, end int, ok bool) {
	if len(b) < i+2 || b[i] != '[' {
		return nil, 0, false
	}
	d := seriesDecoder{b: b, i: i + 1, arena: make([]byte, 0, (len(b)-i)/4*3)}
	out := []events.SeriesPoint{}
	if d.byte(']') {
		return out, d.i, true
	}
	for {
		out = append(out, events.SeriesPoint{})
		if !d.point(&out[len(out)-1]) {
			return nil, 0, false
		}
		if d.byte(']') {
			return out, d.i, true
		}
		if !d.byte(',') {
			return nil, 0, false
		}
	}
}

// seriesDecoder reads b from i on; a method that reports false leaves it
// anywhere.
type seriesDecoder struct {
	b     []byte
	i     int
	arena []byte   // the histograms, decoded
	names []string // the map keys met, each allocated once
}

// Fields of a point, a bit each, to refuse a name given twice.
const (
	fT = 1 << iota
	fRequests
	fSuccess
	fErrors
	fByClass
	fDropped
	fLatency
	fUncorrected
	fTargets
)

// point decodes one object of the plain form into p, which is zero.
func (d *seriesDecoder) point(p *events.SeriesPoint) bool {
	if !d.byte('{') {
		return false
	}
	if d.byte('}') {
		return true
	}
	seen := 0
	for {
		name, ok := d.key()
		if !ok {
			return false
		}
		var f int
		switch string(name) {
		case "t":
			f, ok = fT, d.int(&p.T)
		case "requests":
			f, ok = fRequests, d.int(&p.Requests)
		case "success":
			f, ok = fSuccess, d.int(&p.Success)
		case "errors":
			f, ok = fErrors, d.int(&p.Errors)
		case "dropped":
			f, ok = fDropped, d.int(&p.Dropped)
		case "errors_by_class":
			f, ok = fByClass, d.byClass(p)
		case "latency":
			f, ok = fLatency, d.histogram(&p.Latency)
		case "latency_uncorrected":
			f, ok = fUncorrected, d.histogram(&p.LatencyUncorrected)
		case "target_latency":
			f, ok = fTargets, d.targets(p)
		default:
			return false
		}
		if !ok || seen&f != 0 {
			return false
		}
		seen |= f
		if d.byte('}') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}

// byClass decodes errors_by_class: an object of counts.
func (d *seriesDecoder) byClass(p *events.SeriesPoint) bool {
	p.ErrorsByClass = map[string]int64{}
	return d.object(func(k string) bool {
		var n int64
		if !d.int(&n) {
			return false
		}
		p.ErrorsByClass[k] = n
		return true
	}, func(k string) bool { _, dup := p.ErrorsByClass[k]; return dup })
}

// targets decodes target_latency: an object of histograms.
func (d *seriesDecoder) targets(p *events.SeriesPoint) bool {
	p.TargetLatency = map[string]events.Histogram{}
	return d.object(func(k string) bool {
		var h events.Histogram
		if !d.histogram(&h) || h == nil { // null: the generic decoder's to say
			return false
		}
		p.TargetLatency[k] = h
		return true
	}, func(k string) bool { _, dup := p.TargetLatency[k]; return dup })
}

// object decodes an object whose members value decodes, refusing names
// given twice (dup says whether one was).
func (d *seriesDecoder) object(value, dup func(string) bool) bool {
	if !d.byte('{') {
		return false
	}
	if d.byte('}') {
		return true
	}
	for {
		name, ok := d.key()
		if !ok {
			return false
		}
		k := d.intern(name)
		if dup(k) || !value(k) {
			return false
		}
		if d.byte('}') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}

// intern returns name as a string, allocated once per decoder.
func (d *seriesDecoder) intern(name []byte) string {
	for _, s := range d.names {
		if s == string(name) {
			return s
		}
	}
	s := string(name)
	d.names = append(d.names, s)
	return s
}

// byte consumes c if it is next.
func (d *seriesDecoder) byte(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// key reads a name of printable ASCII without escapes, and its colon.
func (d *seriesDecoder) key() ([]byte, bool) {
	if !d.byte('"') {
		return nil, false
	}
	q := bytes.IndexByte(d.b[d.i:], '"')
	if q < 0 {
		return nil, false
	}
	name := d.b[d.i : d.i+q]
	for _, c := range name {
		if c < 0x20 || c > 0x7e || c == '\\' {
			return nil, false
		}
	}
	d.i += q + 1
	return name, d.byte(':')
}

// int reads an integer of at most 18 digits, as JSON writes it.
func (d *seriesDecoder) int(v *int64) bool {
	b, i := d.b, d.i
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	s := i
	var n int64
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		n = n*10 + int64(b[i]-'0')
		i++
	}
	if i == s || i-s > 18 || (b[s] == '0' && i-s > 1) {
		return false
	}
	if i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E') {
		return false
	}
	if neg {
		n = -n
	}
	*v, d.i = n, i
	return true
}

// strict decodes base64 as encoding/json does, refusing what it might
// read otherwise (non-zero padding bits).
var strict = base64.StdEncoding.Strict()

// histogram reads null or a base64 string into d.arena.
func (d *seriesDecoder) histogram(h *events.Histogram) bool {
	if bytes.HasPrefix(d.b[d.i:], []byte("null")) {
		d.i += 4
		return true
	}
	if !d.byte('"') {
		return false
	}
	q := bytes.IndexByte(d.b[d.i:], '"')
	if q < 0 || q%4 != 0 {
		return false
	}
	s := d.b[d.i : d.i+q]
	want := q / 4 * 3
	if q > 0 && s[q-1] == '=' {
		want--
		if s[q-2] == '=' {
			want--
		}
	}
	at := len(d.arena)
	arena, err := strict.AppendDecode(d.arena, s)
	// A decoder skips CR and LF, which a JSON string cannot hold raw: the
	// length must be all of s.
	if err != nil || len(arena)-at != want {
		return false
	}
	d.arena = arena
	*h = arena[at:len(arena):len(arena)]
	d.i += q + 1
	return true
}
