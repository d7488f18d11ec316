package reduce

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"sync/atomic"
	"unsafe"

	"github.com/barrage-load/barrage/events"
)

// decoder reads the plain form (see decodeResult) of a result's series and
// health samples in b from i on; a method that reports false leaves it
// anywhere.
type decoder struct {
	b       []byte
	i       int
	decoded [][2]int // the histograms decoded in b: where, and their lengths
	names   []string // the map keys met, each allocated once
	// targetList is room for the points' target histograms (targets).
	targetList []events.NamedHistogram
	hint       *sizes // room to reserve for the lists
}

// sizes are the lengths of the lists the last result's decoder made,
// which the next one reserves room for: the results of a run are alike,
// and a list grown an element at a time is allocated and copied over
// twice its length (about 2 % of a reduce of 10,000 × 14 minutes). Its
// fields are atomic: results are decoded on several goroutines.
type sizes struct{ series, samples, decoded atomic.Int32 }

// room returns the length n holds.
func room(n *atomic.Int32) int { return int(n.Load()) }

// note keeps n in l.
func note(l *atomic.Int32, n int) { l.Store(int32(min(n, math.MaxInt32))) }

// series returns a decoder of the array of series points at d.i into
// *out. The points' histograms are decoded in d.b, where they were.
func (d *decoder) series(out *[]events.SeriesPoint) func() bool {
	return func() bool {
		*out = make([]events.SeriesPoint, 0, room(&d.hint.series))
		defer func() { note(&d.hint.series, len(*out)) }()
		return d.array(func() bool {
			*out = append(*out, events.SeriesPoint{})
			return d.point(&(*out)[len(*out)-1])
		})
	}
}

// samples returns a decoder of the array of health samples at d.i into
// *out.
func (d *decoder) samples(out *[]events.HealthSample) func() bool {
	return func() bool {
		*out = make([]events.HealthSample, 0, room(&d.hint.samples))
		defer func() { note(&d.hint.samples, len(*out)) }()
		return d.array(func() bool {
			*out = append(*out, events.HealthSample{})
			return d.sample(&(*out)[len(*out)-1])
		})
	}
}

// array reads an array whose elements elem reads.
func (d *decoder) array(elem func() bool) bool {
	if !d.byte('[') {
		return false
	}
	if d.byte(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if d.byte(']') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}

// members reads an object whose members' values member reads, given
// their names.
func (d *decoder) members(member func(name []byte) bool) bool {
	if !d.byte('{') {
		return false
	}
	if d.byte('}') {
		return true
	}
	for {
		name, ok := d.key()
		if !ok || !member(name) {
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

// fields reads an object whose members are among keys (each written
// "name": as JSON writes it), each once, in any order; field reads the
// value of keys[k]. Other names are refused.
func (d *decoder) fields(keys [][]byte, field func(k int) bool) bool {
	if !d.byte('{') {
		return false
	}
	if d.byte('}') {
		return true
	}
	seen, next := 0, 0
	for {
		// A worker writes them in the order of keys, less those it leaves
		// out: the next one, or the one after, is compared first, whole.
		k := -1
		if next < len(keys) && bytes.HasPrefix(d.b[d.i:], keys[next]) {
			k = next
		} else if next+1 < len(keys) && bytes.HasPrefix(d.b[d.i:], keys[next+1]) {
			k = next + 1
		}
		if k >= 0 {
			d.i += len(keys[k])
		} else {
			name, ok := d.key()
			if !ok {
				return false
			}
			if k = slices.IndexFunc(keys, func(key []byte) bool { return string(key[1:len(key)-2]) == string(name) }); k < 0 {
				return false
			}
		}
		if seen&(1<<k) != 0 || !field(k) {
			return false
		}
		seen |= 1 << k
		next = k + 1
		if d.byte('}') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}

// jsonKeys returns names as fields takes them: "name":.
func jsonKeys(names ...string) [][]byte {
	keys := make([][]byte, len(names))
	for k, n := range names {
		keys[k] = []byte(`"` + n + `":`)
	}
	return keys
}

// pointKeys are a series point's names, in the order of
// events.SeriesPoint, which a worker writes.
var pointKeys = jsonKeys("t", "requests", "success", "errors", "errors_by_class", "dropped",
	"latency", "latency_uncorrected", "target_latency")

// point reads a series point into p, which is zero.
func (d *decoder) point(p *events.SeriesPoint) bool {
	return d.fields(pointKeys, func(k int) bool {
		switch k {
		case 0:
			return d.int(&p.T)
		case 1:
			return d.int(&p.Requests)
		case 2:
			return d.int(&p.Success)
		case 3:
			return d.int(&p.Errors)
		case 4:
			return d.byClass(p)
		case 5:
			return d.int(&p.Dropped)
		case 6:
			return d.histogram(&p.Latency)
		case 7:
			return d.histogram(&p.LatencyUncorrected)
		default:
			return d.targets(p)
		}
	})
}

// sampleKeys are a health sample's names, in the order of
// events.HealthSample.
var sampleKeys = jsonKeys("t", "interval_s", "planned_rate", "achieved_rate", "lag_p99_ms", "dropped",
	"inflight", "open_conns", "time_wait", "cpu_pct", "steal_pct", "rss_bytes", "open_fds")

// sample reads a health sample into s, which is zero.
func (d *decoder) sample(s *events.HealthSample) bool {
	return d.fields(sampleKeys, func(k int) bool {
		switch k {
		case 0:
			return d.int(&s.T)
		case 1:
			return d.float(&s.IntervalS)
		case 2:
			return d.float(&s.PlannedRate)
		case 3:
			return d.float(&s.AchievedRate)
		case 4:
			return d.float(&s.LagP99Ms)
		case 5:
			return d.int(&s.Dropped)
		case 6:
			return d.int(&s.Inflight)
		case 7:
			return d.int(&s.OpenConns)
		case 8:
			return d.intInt(&s.TimeWait)
		case 9:
			return d.float(&s.CPUPercent)
		case 10:
			return d.float(&s.StealPercent)
		case 11:
			return d.int(&s.RSSBytes)
		default:
			return d.intInt(&s.OpenFDs)
		}
	})
}

// byClass reads errors_by_class: an object of counts.
func (d *decoder) byClass(p *events.SeriesPoint) bool {
	m := map[string]int64{}
	p.ErrorsByClass = m
	return d.members(func(name []byte) bool {
		k := d.intern(name)
		var n int64
		if _, dup := m[k]; dup || !d.int(&n) {
			return false
		}
		m[k] = n
		return true
	})
}

// targets reads target_latency, an object of histograms, into
// p.TargetList (no map: see events.SeriesPoint), which takes its room
// from d.targetList.
func (d *decoder) targets(p *events.SeriesPoint) bool {
	if cap(d.targetList)-len(d.targetList) < maxSeriesTargets {
		d.targetList = make([]events.NamedHistogram, 0, 64*maxSeriesTargets)
	}
	start := len(d.targetList)
	ok := d.members(func(name []byte) bool {
		k := d.intern(name)
		for _, t := range d.targetList[start:] {
			if t.Name == k { // a name given twice is left to the generic decoder
				return false
			}
		}
		var h events.Histogram
		if !d.histogram(&h) || h == nil { // as is null
			return false
		}
		d.targetList = append(d.targetList, events.NamedHistogram{Name: k, Hist: h})
		return true
	})
	p.TargetList = d.targetList[start:len(d.targetList):len(d.targetList)]
	return ok
}

// maxSeriesTargets is the targets a worker writes a second of at most
// (events.SeriesPoint.TargetLatency): more take room of their own.
const maxSeriesTargets = 16

// intern returns name as a string, allocated once per decoder.
func (d *decoder) intern(name []byte) string {
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
func (d *decoder) byte(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// key reads a name of printable ASCII without escapes, and its colon.
func (d *decoder) key() ([]byte, bool) {
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

// digits consumes decimal digits and returns how many.
func (d *decoder) digits() int {
	s := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	return d.i - s
}

// int reads an integer of at most 18 digits, as JSON writes it.
func (d *decoder) int(v *int64) bool {
	neg := d.byte('-')
	s := d.i
	if n := d.digits(); n == 0 || n > 18 || (d.b[s] == '0' && n > 1) {
		return false
	}
	if d.i < len(d.b) && (d.b[d.i] == '.' || d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		return false
	}
	var n int64
	for _, c := range d.b[s:d.i] {
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	*v = n
	return true
}

// intInt reads an int as int does an int64.
func (d *decoder) intInt(v *int) bool {
	var n int64
	ok := d.int(&n)
	*v = int(n)
	return ok
}

// float reads a JSON number as the generic decoder does (strconv's
// ParseFloat of its text), leaving it one out of float64's range.
func (d *decoder) float(v *float64) bool {
	s := d.i
	neg := d.byte('-')
	n := d.digits()
	if n == 0 || (d.b[d.i-n] == '0' && n > 1) {
		return false
	}
	frac := 0
	if d.byte('.') {
		if frac = d.digits(); frac == 0 {
			return false
		}
	}
	exp := d.byte('e') || d.byte('E')
	if exp {
		if !d.byte('+') {
			d.byte('-')
		}
		if d.digits() == 0 {
			return false
		}
	}
	if !exp && n+frac <= 15 {
		// The digits make an integer below 2^53 and the point divides it
		// by a power of ten below 2^53 too: both exact, their quotient is
		// rounded once, to what ParseFloat returns (its own fast path).
		var m int64
		for _, c := range d.b[s:d.i] {
			if c != '-' && c != '.' {
				m = m*10 + int64(c-'0')
			}
		}
		f := float64(m) / pow10[frac]
		if neg {
			f = -f
		}
		*v = f
		return true
	}
	// ParseFloat keeps its argument only in the error, which is dropped:
	// the bytes need no copy.
	f, err := strconv.ParseFloat(unsafe.String(&d.b[s], d.i-s), 64)
	*v = f
	return err == nil
}

// pow10 are the powers of ten float's exact path divides by.
var pow10 = [16]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// histogram reads null or a base64 string, which it decodes in place: to
// the start of the string, in d.b (see base64InPlace).
func (d *decoder) histogram(h *events.Histogram) bool {
	if !d.byte('"') {
		if bytes.HasPrefix(d.b[d.i:], []byte("null")) { // rare: looked for second
			d.i += 4
			return true
		}
		return false
	}
	q := bytes.IndexByte(d.b[d.i:], '"')
	if q < 0 {
		return false
	}
	s := d.b[d.i : d.i+q]
	n, ok := base64InPlace(s)
	if !ok {
		return false
	}
	d.decoded = append(d.decoded, [2]int{d.i, n})
	*h = s[:n:n]
	d.i += q + 1
	return true
}

// restore encodes again the strings of b that histogram decoded, leaving
// b as it was.
func restore(b []byte, decoded [][2]int) {
	for _, at := range decoded {
		undecode(b[at[0]:], at[1])
	}
}
