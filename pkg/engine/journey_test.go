package engine

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/errclass"
	"github.com/barrage-load/barrage/pkg/pacer"
)

// fakeJourney sends its steps as GETs of /STEP over its own connection per
// iteration, through the engine's dialer; a step named "fail" stops the
// iteration with an unexpected status.
type fakeJourney struct {
	name, host string
	steps      []string
	weight     int
	mu         sync.Mutex
	indexes    []int64
}

func (j *fakeJourney) Name() string    { return j.name }
func (j *fakeJourney) Weight() int     { return j.weight }
func (j *fakeJourney) Steps() []string { return j.steps }
func (j *fakeJourney) Hosts() []string { return []string{j.host} }

func (j *fakeJourney) Iterate(ctx context.Context, it *Iteration) error {
	j.mu.Lock()
	j.indexes = append(j.indexes, it.Index)
	j.mu.Unlock()
	tr := &http.Transport{DialContext: it.Dial}
	defer tr.CloseIdleConnections()
	due := it.Due
	for i, s := range j.steps {
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+j.host+"/"+s, nil)
		st := Step{Due: due, Sent: time.Now()}
		res, err := tr.RoundTrip(req)
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			st.Status = res.StatusCode
		}
		st.End, st.Err = time.Now(), err
		it.Record(i, st)
		if err != nil {
			return err
		}
		if st.Status != 200 {
			return &IterationError{Step: s, Class: errclass.Unexpected, Detail: res.Status[:3]}
		}
		due = st.End
	}
	return nil
}

// TestJourneys: a plain target and two journeys in a 1:2:1 mix. Each
// journey's iterations and steps are reported as targets of their own; the
// totals count HTTP requests (plain + steps) and not iterations; plain
// requests + iterations + drops = arrivals; a failing step ends its
// iteration with unexpected_status; the global index mapping is applied;
// every journey connection is counted and closed.
func TestJourneys(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	login := &fakeJourney{name: "login", host: host, steps: []string{"token", "refresh", "logout"}, weight: 2}
	broken := &fakeJourney{name: "broken", host: host, steps: []string{"token", "fail", "never"}, weight: 1}
	plain := target(srv.URL + "/plain")
	res := run(t, Config{Targets: []events.Target{plain}, Journeys: []Journey{login, broken},
		Pacer: pacer.Constant{R: 200, D: time.Second}, MaxInflight: 50, Timeout: 2 * time.Second, KeepAlive: true,
		Index: func(i int64) int64 { return 3 + 4*i }})

	byName := map[string]TargetResult{}
	var names []string
	for _, tr := range res.Targets {
		byName[tr.Name] = tr
		names = append(names, tr.Name)
	}
	want := []string{plain.Name, "login", "login/token", "login/refresh", "login/logout",
		"broken", "broken/token", "broken/fail", "broken/never"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("targets %v, want %v", names, want)
	}
	it, bit := byName["login"], byName["broken"]
	if it.Kind != events.TargetIteration || it.Group != "login" || byName["login/token"].Kind != events.TargetStep {
		t.Errorf("kinds %q %q, group %q", it.Kind, byName["login/token"].Kind, it.Group)
	}
	p := byName[want[0]].Counts
	arrivals := p.Requests + p.Dropped + it.Counts.Requests + it.Counts.Dropped + bit.Counts.Requests + bit.Counts.Dropped
	if res.PlannedArrivals != 200 || arrivals != 200 {
		t.Errorf("plain %d + iterations %d + %d + drops = %d, planned %d; want 200", p.Requests,
			it.Counts.Requests, bit.Counts.Requests, arrivals, res.PlannedArrivals)
	}
	// The 1:2:1 table over 200 arrivals: exactly 50, 100 and 50, sent or dropped.
	if n := it.Counts.Requests + it.Counts.Dropped; n != 100 {
		t.Errorf("login arrivals %d, want 100", n)
	}
	for _, s := range []string{"login/token", "login/refresh", "login/logout"} {
		if c := byName[s].Counts; c.Requests != it.Counts.Success || c.Success != c.Requests {
			t.Errorf("%s: %d requests (%d ok), want one per successful iteration (%d)", s, c.Requests, c.Success, it.Counts.Success)
		}
	}
	if bit.Counts.Success != 0 || bit.Counts.Errors["unexpected_status"] != bit.Counts.Requests ||
		bit.Counts.ErrorDetails["unexpected_status fail: 401"] != bit.Counts.Requests {
		t.Errorf("broken iterations: %+v", bit.Counts)
	}
	if n := byName["broken/never"].Counts.Requests; n != 0 {
		t.Errorf("a step after a failed one was sent %d times", n)
	}
	steps := int64(0)
	for _, tr := range res.Targets {
		if tr.Kind != events.TargetIteration {
			steps += tr.Counts.Requests
		}
	}
	if res.Counts.Requests != steps {
		t.Errorf("total requests %d, want plain + steps = %d (iterations are not requests)", res.Counts.Requests, steps)
	}
	if lat := it.Latency; lat.Count() != it.Counts.Requests {
		t.Errorf("iteration latencies %d, iterations %d", lat.Count(), it.Counts.Requests)
	}
	for _, i := range login.indexes {
		if i%4 != 3 {
			t.Fatalf("iteration index %d: the Index mapping (3 + 4i) was not applied", i)
		}
	}
	if res.Health.Dials < it.Counts.Requests {
		t.Errorf("%d dials for %d iterations: journey connections are not counted", res.Health.Dials, it.Counts.Requests)
	}
	if n := lastOpenConns(t, res); n != 0 {
		t.Errorf("%d connections open at the end", n)
	}
}

// TestWeightedMixAcrossShards: a 40/20/20/20 mix of a target and three
// journeys over 10,000 arrivals split into 1, 3 and 7 stripes (each shard
// picks by its own arrival index): every group gets its share within 1 %,
// and the same split every time.
func TestWeightedMixAcrossShards(t *testing.T) {
	weights := []int{40, 20, 20, 20}
	table := weightTable(weights)
	const total = 10_000
	for _, shards := range []int{1, 3, 7} {
		counts := make([]int, len(weights))
		for k := range shards {
			// Shard k runs the global arrivals k, k+shards, …: its local
			// indexes are 0, 1, 2, …
			for j := 0; k+j*shards < total; j++ {
				counts[table[j%len(table)]]++
			}
		}
		for g, w := range weights {
			want := float64(total) * float64(w) / 100
			if got := float64(counts[g]); got < want*0.99 || got > want*1.01 {
				t.Errorf("%d shards: group %d got %v arrivals, want %v ± 1%%", shards, g, got, want)
			}
		}
	}
}

// chainJourney records, without sending anything, one step that followed
// two redirects (302, 303, then 200, 30 ms in all) and one step whose 401
// it expected.
type chainJourney struct{}

func (chainJourney) Name() string    { return "chain" }
func (chainJourney) Weight() int     { return 1 }
func (chainJourney) Steps() []string { return []string{"login", "verify"} }
func (chainJourney) Hosts() []string { return nil }

func (chainJourney) Iterate(_ context.Context, it *Iteration) error {
	end := it.Due.Add(30 * time.Millisecond)
	it.Record(0, Step{Due: it.Due, Sent: it.Due, End: end, Status: 200, Hops: []int{302, 303}, BytesIn: 300})
	it.Record(1, Step{Due: end, Sent: end, End: end.Add(time.Millisecond), Status: 401, Expected: true})
	return nil
}

// TestJourneyHops: a step's hops count as requests of the step and of the
// totals, with their statuses, while the step keeps one latency, that of
// the whole chain; an expected status outside 2xx/3xx is a success.
func TestJourneyHops(t *testing.T) {
	res := run(t, Config{Journeys: []Journey{chainJourney{}}, Pacer: pacer.Constant{R: 20, D: time.Second},
		MaxInflight: 10, Timeout: time.Second})
	byName := map[string]TargetResult{}
	for _, tr := range res.Targets {
		byName[tr.Name] = tr
	}
	n := byName["chain"].Counts.Requests
	login, verify := byName["chain/login"], byName["chain/verify"]
	if n == 0 || login.Counts.Requests != 3*n || login.Counts.Success != 3*n ||
		login.Counts.StatusCodes["302"] != n || login.Counts.StatusCodes["303"] != n || login.Counts.StatusCodes["200"] != n {
		t.Errorf("login: %+v; want 3 requests per iteration (%d), one of each status", login.Counts, n)
	}
	lat := login.Latency
	if lat.Count() != n || lat.Min() < 27*time.Millisecond {
		t.Errorf("login: %d latencies, least %v; want one per iteration, of the whole chain (30ms)", lat.Count(), lat.Min())
	}
	if c := verify.Counts; c.Requests != n || c.Success != n || c.StatusCodes["401"] != n {
		t.Errorf("verify: %+v; want its expected 401 counted a success", c)
	}
	if res.Counts.Requests != 4*n || res.Counts.Success != 4*n || res.Counts.BytesIn != 300*n {
		t.Errorf("totals: %+v; want 4 requests per iteration, all successes", res.Counts)
	}
}
