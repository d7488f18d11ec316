package reduce

import (
	"bytes"

	jsonv2 "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/barrage-load/barrage/events"
)

// decodeResult decodes a stored result as jsonv2.Unmarshal does under
// encoding/json's options, at a fraction of its cost on the parts that
// weigh: a result's series (a second's point and its base64 histograms,
// 84 % of a result's bytes) and its health samples (a second's floats,
// 14 %) go through decoders of our own, which decode each histogram's
// base64 in place, in body, which the result then holds (no allocation,
// no copy), and the rest through the generic decoder. Ours accept only the
// plain form a worker writes (encoding/json's: no white space, no escapes,
// known keys once each, integers as integers): on anything else, and on
// any error, body is restored and the whole result goes through the
// generic decoder, so that what decodeResult returns, error included, is
// always the generic decoder's, but for the form of a point's target
// histograms: a list, events.SeriesPoint.TargetList, where the generic
// decoder makes a map (TargetLatency), when ours decoded the series.
//
// hint, which may be nil, carries the lengths of one result's lists to
// the next one's decoder.
func decodeResult(body []byte, hint *sizes) (*events.ShardResult, error) {
	if f, ok := split(body, hint); ok {
		res := new(events.ShardResult)
		if jsonv2.Unmarshal(f.rest(body), res, jsonv1.DefaultOptionsV1()) == nil {
			res.Series, res.Health.Samples = f.series, f.samples
			return res, nil
		}
		restore(body, f.decoded)
	}
	return decodeGeneric(body) // which also says what is wrong
}

// decodeGeneric decodes body with the generic decoder alone.
func decodeGeneric(body []byte) (*events.ShardResult, error) {
	res := new(events.ShardResult)
	if err := jsonv2.Unmarshal(body, res, jsonv1.DefaultOptionsV1()); err != nil {
		return nil, err
	}
	return res, nil
}

// parts are the members of a result that split decoded, and where they
// were.
type parts struct {
	series  []events.SeriesPoint  // "series"
	samples []events.HealthSample // "health": {"samples"}
	spans   [][2]int              // their values in the result, in order
	decoded [][2]int              // the series' histograms, decoded in the result (decoder.decoded)
}

// rest is b with the values of p's members replaced by null.
func (p *parts) rest(b []byte) []byte {
	n := len(b)
	for _, s := range p.spans {
		n -= s[1] - s[0] - len("null")
	}
	out, at := make([]byte, 0, n), 0
	for _, s := range p.spans {
		out = append(append(out, b[at:s[0]]...), "null"...)
		at = s[1]
	}
	return append(out, b[at:]...)
}

// split walks the JSON object in b and decodes its series and its health
// samples where it finds them. It reports false when b is not an object
// it can walk, when a name on the way holds an escape, when a name other
// than exactly the one wanted matches it as encoding/json matches names
// (case-insensitively) or one comes twice, or when a member it decodes is
// not in the plain form. It does not validate the rest of b: the generic
// decoder does.
func split(b []byte, hint *sizes) (p parts, ok bool) {
	if hint == nil {
		hint = new(sizes)
	}
	d := decoder{b: b, hint: hint, decoded: make([][2]int, 0, room(&hint.decoded))}
	var series, health, samples bool // seen
	_, ok = walkObject(b, skipSpace(b, 0), func(name []byte, i int) (int, bool) {
		if m, ok := is(name, "series", &series); !ok || m {
			return d.member(&p, i, ok, d.series(&p.series))
		}
		if m, ok := is(name, "health", &health); !ok || m {
			if !ok {
				return 0, false
			}
			return walkObject(b, i, func(name []byte, i int) (int, bool) {
				if m, ok := is(name, "samples", &samples); !ok || m {
					return d.member(&p, i, ok, d.samples(&p.samples))
				}
				return skip(b, i)
			})
		}
		return skip(b, i)
	})
	if !ok {
		restore(b, d.decoded)
	}
	note(&hint.decoded, len(d.decoded))
	p.decoded = d.decoded
	return p, ok
}

// member decodes the value at b[i] with value, when ok, and notes its span.
func (d *decoder) member(p *parts, i int, ok bool, value func() bool) (int, bool) {
	if !ok {
		return 0, false
	}
	d.i = i
	if !value() {
		return 0, false
	}
	p.spans = append(p.spans, [2]int{i, d.i})
	return d.i, true
}

// is reports whether name is want (match), and ok unless it is want by
// encoding/json's case-insensitive matching only, or came before (seen).
func is(name []byte, want string, seen *bool) (match, ok bool) {
	if !bytes.EqualFold(name, []byte(want)) {
		return false, true
	}
	if *seen || string(name) != want {
		return false, false
	}
	*seen = true
	return true, true
}

// walkObject walks the object at b[i], calling visit with each member's
// name and the index of its value, which visit returns the end of; it
// returns the index just past the object.
func walkObject(b []byte, i int, visit func(name []byte, i int) (int, bool)) (int, bool) {
	if i == len(b) || b[i] != '{' {
		return 0, false
	}
	if i = skipSpace(b, i+1); i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for {
		if i == len(b) || b[i] != '"' {
			return 0, false
		}
		k := skipString(b, i)
		if k < 0 {
			return 0, false
		}
		name := b[i+1 : k-1]
		if i = skipSpace(b, k); i == len(b) || b[i] != ':' || bytes.IndexByte(name, '\\') >= 0 {
			return 0, false
		}
		end, ok := visit(name, skipSpace(b, i+1))
		if !ok {
			return 0, false
		}
		switch i = skipSpace(b, end); {
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
		case i < len(b) && b[i] == '}':
			return i + 1, true
		default:
			return 0, false
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

// skip returns the index just past the value that starts at b[i]: an
// object or array up to its closing bracket, a string, or a scalar up to
// the next delimiter.
func skip(b []byte, i int) (int, bool) {
	depth := 0
	for i < len(b) {
		switch c := b[i]; {
		case c == '"':
			if i = skipString(b, i); i < 0 || depth == 0 {
				return i, i >= 0
			}
			continue
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			if depth == 0 {
				return i, true
			}
			if depth--; depth == 0 {
				return i + 1, true
			}
		case depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return i, true
		}
		i++
	}
	return i, depth == 0
}
