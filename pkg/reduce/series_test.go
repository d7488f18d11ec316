package reduce

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
)

// targetMaps moves the series' TargetList of res, the decoder's form of
// their target_latency, into TargetLatency, the generic decoder's.
func targetMaps(res *events.ShardResult) {
	for k := range res.Series {
		p := &res.Series[k]
		if p.TargetList == nil {
			continue
		}
		p.TargetLatency = map[string]events.Histogram{}
		for _, t := range p.TargetList {
			p.TargetLatency[t.Name] = t.Hist
		}
		p.TargetList = nil
	}
}

// sameAsGeneric fails unless decodeResult decodes b exactly as decodeGeneric
// does, error included, and reports whether split took it (the series and
// samples, if any, on the fast path).
func sameAsGeneric(t *testing.T, b []byte) bool {
	t.Helper()
	want, werr := decodeGeneric(b)
	body := bytes.Clone(b) // decodeResult decodes histograms in it
	got, gerr := decodeResult(body, nil)
	if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
		t.Fatalf("decodeResult(%.200q): error %v; the generic decoder's %v", b, gerr, werr)
	}
	if got != nil {
		targetMaps(got)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeResult(%.200q):\n got %+v\nwant %+v", b, got, want)
	}
	_, fast := split(bytes.Clone(b), nil)
	if (gerr != nil || !fast) && !bytes.Equal(body, b) {
		t.Fatalf("decodeResult(%.200q) went to the generic decoder and left the body changed: %.200q", b, body)
	}
	return fast
}

// TestDecodeResult decodes what a worker writes, and every variation the
// plain form does not cover, exactly as the generic decoder does: the
// variations through it.
func TestDecodeResult(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	res := realistic(rng, "r", "s1", time.Unix(1_800_000_000, 0).UTC(), 50)
	res.Series[3].ErrorsByClass = map[string]int64{"timeout": 2, "reset": 1}
	res.Series[4].LatencyUncorrected = res.Series[4].Latency
	res.Series[5].TargetLatency = nil
	res.Series[6].ErrorsByClass = map[string]int64{}
	body, _ := json.Marshal(res)
	if !sameAsGeneric(t, body) {
		t.Fatal("a worker's result did not take the fast path")
	}
	for _, c := range []struct {
		name      string
		old, new  string // the first old in body becomes new
		plain     bool   // the series still takes the fast path
		generated string // instead of body, when set
	}{
		// The plain form's own variations.
		{name: "no series", generated: `{"shard_id":"a"}`, plain: true},
		{name: "empty series", generated: `{"series":[],"shard_id":"a"}`, plain: true},
		{name: "null series", generated: `{"series":null}`},
		{name: "empty point", generated: `{"series":[{}]}`, plain: true},
		{name: "null histogram", generated: `{"series":[{"t":1,"latency":null}]}`, plain: true},
		{name: "empty histogram", generated: `{"series":[{"t":1,"latency":""}]}`, plain: true},
		{name: "negative, zero", generated: `{"series":[{"t":-5,"requests":0,"errors":-0}]}`, plain: true},
		{name: "spaces at the top", generated: ` { "shard_id" : "a" , "series" : [{"t":1}] } `, plain: true},
		{name: "samples", generated: `{"health":{"cpus":2,"samples":[{"t":1,"interval_s":0.5,"cpu_pct":-1.25e-3,"steal_pct":1E+2,"open_fds":7,"time_wait":-3}],"dials":1}}`, plain: true},
		{name: "empty health", generated: `{"health":{}}`, plain: true},
		// What goes to the generic decoder.
		{name: "null health", generated: `{"health":null}`},
		{name: "Health", generated: `{"Health":{"samples":[]}}`},
		{name: "samples twice", generated: `{"health":{"samples":[],"samples":[{"t":1}]}}`},
		{name: "health twice", generated: `{"health":{"samples":[]},"health":{"cpus":1}}`},
		{name: "float too big", generated: `{"health":{"samples":[{"cpu_pct":1e400}]}}`},
		{name: "float leading zero", generated: `{"health":{"samples":[{"cpu_pct":01.5}]}}`},
		{name: "float no digits", generated: `{"health":{"samples":[{"cpu_pct":1.}]}}`},
		{name: "float as string", generated: `{"health":{"samples":[{"cpu_pct":"1"}]}}`},
		{name: "float int field", generated: `{"health":{"samples":[{"open_fds":1.5}]}}`},
		{name: "unknown sample field", generated: `{"health":{"samples":[{"x":1}]}}`},
		{name: "space in a point", generated: `{"series":[{"t": 1}]}`},
		{name: "two series", generated: `{"series":[{"t":1}],"series":[{"t":2}]}`},
		{name: "Series", generated: `{"Series":[{"t":1}]}`},
		{name: "escaped name", generated: `{"ser\u0069es":[{"t":1}]}`},
		{name: "unknown field", generated: `{"series":[{"t":1,"x":2}]}`},
		{name: "field twice", generated: `{"series":[{"t":1,"t":2}]}`},
		{name: "Latency", generated: `{"series":[{"Latency":"QUJD"}]}`},
		{name: "float", generated: `{"series":[{"t":1.0}]}`},
		{name: "exponent", generated: `{"series":[{"t":1e3}]}`},
		{name: "leading zero", generated: `{"series":[{"t":01}]}`},
		{name: "big", generated: `{"series":[{"t":12345678901234567890}]}`},
		{name: "null count", generated: `{"series":[{"t":null}]}`},
		{name: "escaped base64", generated: `{"series":[{"latency":"QU\u004aD"}]}`},
		{name: "newline in base64", generated: "{\"series\":[{\"latency\":\"QU\nJD\"}]}"},
		{name: "escaped newline in base64", generated: `{"series":[{"latency":"QU\nJD"}]}`},
		{name: "padding bits", generated: `{"series":[{"latency":"QR=="}]}`},
		{name: "unpadded", generated: `{"series":[{"latency":"QUI"}]}`},
		{name: "not base64", generated: `{"series":[{"latency":"Q!=="}]}`},
		{name: "null target", generated: `{"series":[{"target_latency":{"a":null}}]}`},
		{name: "target twice", generated: `{"series":[{"target_latency":{"a":"QUJD","a":"QUJD"}}]}`},
		{name: "escaped class", generated: `{"series":[{"errors_by_class":{"a\u0062":1}}]}`},
		{name: "class not ASCII", generated: `{"series":[{"errors_by_class":{"é":1}}]}`},
		{name: "null point", generated: `{"series":[null]}`},
		{name: "trailing comma", generated: `{"series":[{"t":1},]}`},
		{name: "not JSON", generated: `{"series":[{"t":1}]`},
		// The series decode, the rest does not: the generic decoder's error.
		{name: "bad elsewhere", generated: `{"series":[{"t":1}],"version":"x"}`, plain: true},
		{name: "bad after", generated: `{"series":[{"t":1}]}x`, plain: true},
		{name: "bad after histograms", generated: `{"series":[{"t":1,"latency":"QUJDRA==","target_latency":{"a":"QUI="}}],"version":"x"}`, plain: true},
		// The series decode, the samples do not: all to the generic decoder.
		{name: "samples bad after histograms", generated: `{"series":[{"t":1,"latency":"QUJDRA=="}],"health":{"samples":[{"cpu_pct":1e400}]}}`},
		{name: "a quote in a string before", generated: `{"stop_reason":"a \"series\":[] \\","series":[{"t":1}]}`, plain: true},
		// Edits of a worker's result.
		{name: "unknown field after", old: `"series":`, new: `"series":[],"x":`, plain: true},
	} {
		b := []byte(c.generated)
		if c.generated == "" {
			b = bytes.Replace(body, []byte(c.old), []byte(c.new), 1)
		}
		if fast := sameAsGeneric(t, b); fast != c.plain {
			t.Errorf("%s: fast path %v, want %v", c.name, fast, c.plain)
		}
	}
}

// FuzzDecodeResult: whatever the input, decodeResult answers as the
// generic decoder does.
func FuzzDecodeResult(f *testing.F) {
	rng := rand.New(rand.NewPCG(5, 6))
	res := realistic(rng, "r", "s1", time.Unix(1_800_000_000, 0).UTC(), 5)
	res.Series = res.Series[:3]
	res.Health.Samples = nil
	res.Series[1].ErrorsByClass = map[string]int64{"timeout": 2}
	body, _ := json.Marshal(res)
	f.Add(body)
	f.Add([]byte(`{"series":[{"t":1,"latency":"QUJD"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		sameAsGeneric(t, b)
	})
}

// TestFloatExact: float's own path reads every number of up to 15 digits
// to the very bits ParseFloat does.
func TestFloatExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	texts := []string{"0", "-0", "0.0", "-0.0", "1", "100", "0.1", "0.3", "123456789012345", "0.000000000000001", "99999999.9999999"}
	for range 100_000 {
		digits := strconv.FormatInt(rng.Int64N(1_000_000_000_000_000), 10)
		if p := rng.IntN(len(digits) + 1); p < len(digits) {
			digits = strings.TrimLeft(digits[:p], "0") + "." + digits[p:]
			if digits[0] == '.' {
				digits = "0" + digits
			}
		}
		if rng.IntN(2) == 0 {
			digits = "-" + digits
		}
		texts = append(texts, digits)
	}
	for _, s := range texts {
		want, err := strconv.ParseFloat(s, 64)
		d := decoder{b: []byte(s + ",")}
		var got float64
		if err != nil || !d.float(&got) || math.Float64bits(got) != math.Float64bits(want) || d.i != len(s) {
			t.Fatalf("float(%q) = %v (%x); ParseFloat: %v (%x), %v", s, got, math.Float64bits(got), want, math.Float64bits(want), err)
		}
	}
}

// TestBase64InPlace decodes the encodings of random bytes of every length
// up to 300, and variations of them, in place, with the wide decoder
// (base64Blocks, where the processor has it) and without: it gives what
// encoding/base64 does, and refuses only what that refuses or might read
// otherwise, leaving it as it was.
func TestBase64InPlace(t *testing.T) {
	for _, wide := range []bool{base64Wide, false} {
		t.Run(fmt.Sprintf("wide=%v", wide), func(t *testing.T) {
			defer func(w bool) { base64Wide = w }(base64Wide)
			base64Wide = wide
			testBase64InPlace(t)
		})
	}
}

func testBase64InPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	strict := base64.StdEncoding.Strict()
	check := func(text []byte, canonical bool) {
		t.Helper()
		want, werr := strict.DecodeString(string(text))
		s := bytes.Clone(text)
		n, ok := base64InPlace(s)
		switch {
		case ok && (werr != nil || !bytes.Equal(s[:n], want)):
			t.Fatalf("base64InPlace(%q) = %x; encoding/base64: %x, %v", text, s[:n], want, werr)
		case !ok && canonical:
			t.Fatalf("base64InPlace(%q) refused it; encoding/base64: %x", text, want)
		case !ok && !bytes.Equal(s, text):
			t.Fatalf("base64InPlace(%q) refused it and left %q", text, s)
		}
	}
	// Padding, a line break, letters, and bytes not of the alphabet beside
	// those that are (the wide decoder tells them apart by their nibbles).
	const other = "=\nA/+\x00\xff@[`{*:,-.?_\x7f\x80 09Zaz"
	for n := range 301 {
		raw := make([]byte, n)
		for i := range raw {
			raw[i] = byte(rng.Uint32())
		}
		text := []byte(base64.StdEncoding.EncodeToString(raw))
		check(text, true)
		for range 20 { // a character changed
			if len(text) == 0 {
				break
			}
			bad := bytes.Clone(text)
			bad[rng.IntN(len(bad))] = other[rng.IntN(len(other))]
			check(bad, false)
		}
	}
	for c := range 256 { // every byte, at every place of a block of the wide decoder
		text := []byte(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xa5, 0x3c, 0x96}, 32)))
		for at := range 64 {
			bad := bytes.Clone(text)
			bad[at] = byte(c)
			check(bad, false)
		}
	}
}

// BenchmarkBase64InPlace decodes a second's histogram (380 characters) in
// place, with the wide decoder (where the processor has it) and without;
// BenchmarkBase64Std decodes it with encoding/base64 (Strict), as the
// generic decoder does.
func BenchmarkBase64InPlace(b *testing.B) {
	for _, wide := range []bool{base64Wide, false} {
		b.Run(fmt.Sprintf("wide=%v", wide), func(b *testing.B) {
			defer func(w bool) { base64Wide = w }(base64Wide)
			base64Wide = wide
			text, s := benchBase64()
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				copy(s, text)
				if _, ok := base64InPlace(s); !ok {
					b.Fatal("refused")
				}
			}
		})
	}
}

func BenchmarkBase64Std(b *testing.B) {
	text, s := benchBase64()
	b.SetBytes(int64(len(text)))
	strict := base64.StdEncoding.Strict()
	for b.Loop() {
		copy(s, text)
		if _, err := strict.Decode(s, text); err != nil {
			b.Fatal(err)
		}
	}
}

func benchBase64() (text, s []byte) {
	raw := make([]byte, 285)
	for i := range raw {
		raw[i] = byte(i * 31)
	}
	text = []byte(base64.StdEncoding.EncodeToString(raw))
	return text, make([]byte, len(text))
}
