package engine

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/errclass"
	"github.com/barrage-load/barrage/pkg/pacer"
)

// failingJourney fails every iteration at once, with the error msg returns
// for its index; it sends nothing.
type failingJourney struct{ msg func(i int64) error }

func (failingJourney) Name() string    { return "fail" }
func (failingJourney) Weight() int     { return 1 }
func (failingJourney) Steps() []string { return []string{"s"} }
func (failingJourney) Hosts() []string { return []string{"fail.test:80"} }
func (j failingJourney) Iterate(_ context.Context, it *Iteration) error {
	return j.msg(it.Index)
}

// TestMessageNumbers: distinct raw texts that redact to one message count
// as that message, exactly, however many there are; the raw texts
// remembered stay bounded; a full class keeps no more messages.
func TestMessageNumbers(t *testing.T) {
	digits := strings.NewReplacer("0", "", "1", "", "2", "", "3", "", "4", "", "5", "", "6", "", "7", "", "8", "", "9", "")
	m := newMessages(digits.Replace, 1)
	counts := map[int32]int64{}
	for i := range 3 * maxRawTexts {
		counts[m.number(0, errclass.Other, fmt.Errorf("token %d expired", i))]++
	}
	for i := range 10 {
		counts[m.number(0, errclass.Reset, fmt.Errorf("reset %c", 'a'+i))]++
	}
	want := map[string][]events.ErrorMessage{"other": {{Message: "token  expired", Count: 3 * maxRawTexts}}}
	for _, c := range "abcde" {
		want["reset"] = append(want["reset"], events.ErrorMessage{Message: "reset " + string(c), Count: 1})
	}
	if got := m.toEvents(counts); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("messages:\n got %v\nwant %v", got, want)
	}
	if counts[0] != 5 {
		t.Errorf("%d errors without a kept message, want 5 (reset f to j)", counts[0])
	}
	if len(m.byRaw) > maxRawTexts {
		t.Errorf("%d raw texts remembered, want at most %d", len(m.byRaw), maxRawTexts)
	}
}

// TestErrorMessages: 40 iterations, one at a time, fail with 8 distinct
// messages in turn (5 of each); 8 more fail with an extract error. The
// shard keeps the first 5 distinct messages of class other, each with its
// count, and the extract message with its, redacted by Config.Redact and
// cut to maxMessageLen.
func TestErrorMessages(t *testing.T) {
	long := strings.Repeat("x", 1000)
	msg := func(i int64) error {
		if i >= 40 {
			return &IterationError{Step: "s", Class: errclass.Extract, Detail: "token"}
		}
		k := i % 8
		if k == 1 {
			return errors.New("long " + long)
		}
		return fmt.Errorf("boom %d: Get \"http://user:hunter2@fail.test/\": refused", k)
	}
	synctest.Test(t, func(t *testing.T) {
		cfg := Config{Journeys: []Journey{failingJourney{msg}}, Pacer: pacer.Constant{R: 48, D: time.Second},
			MaxInflight: 1, Timeout: time.Second, CoarseTimer: true, Proc: noProc, Start: time.Now(),
			Resolve: func(string) []netip.Addr { return nil },
			Redact:  strings.NewReplacer("hunter2", "[REDACTED]").Replace}
		e, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		res := runBubble(t, e, context.Background(), context.Background())

		boom := func(k int) events.ErrorMessage {
			return events.ErrorMessage{Message: fmt.Sprintf("boom %d: Get \"http://user:[REDACTED]@fail.test/\": refused", k), Count: 5}
		}
		cut := events.ErrorMessage{Message: ("long " + long)[:maxMessageLen] + "…", Count: 5}
		want := map[string][]events.ErrorMessage{
			"other":   {boom(0), cut, boom(2), boom(3), boom(4)},
			"extract": {{Message: "step s: extract token", Count: 8}},
		}
		it := res.Targets[0]
		if it.Kind != events.TargetIteration {
			t.Fatalf("target 0 is %q, want the iterations", it.Kind)
		}
		c := it.Counts
		if c.Errors["other"] != 40 || c.Errors["extract"] != 8 {
			t.Errorf("errors %v, want other: 40, extract: 8", c.Errors)
		}
		if got := fmt.Sprint(c.ErrorMessages); got != fmt.Sprint(want) {
			t.Errorf("error messages:\n got %v\nwant %v", got, want)
		}
	})
}

// namedFailing is a failingJourney of another name.
type namedFailing struct {
	failingJourney
	name string
}

func (j namedFailing) Name() string { return j.name }

// Iterate records the error as its step's too, so that the shard's totals
// count it.
func (j namedFailing) Iterate(_ context.Context, it *Iteration) error {
	err := j.msg(it.Index)
	now := time.Now()
	it.Record(0, Step{Due: it.Due, Sent: now, End: now, Err: err})
	return err
}

// TestErrorMessagesPerTarget: the first distinct messages are kept per
// target: a journey whose iterations fail with 8 messages of class other
// keeps its first 5, and another, failing with 3 messages of the same
// class meanwhile, keeps its 3 with every one of its errors counted, where
// a bound per shard would have let the first journey take the class's
// room. The shard's totals (the steps') keep 5 per class.
func TestErrorMessagesPerTarget(t *testing.T) {
	var na, nb atomic.Int64 // each journey's iterations, in turn
	a := namedFailing{failingJourney{func(int64) error { return fmt.Errorf("a %d", na.Add(1)%8) }}, "a"}
	b := namedFailing{failingJourney{func(int64) error { return fmt.Errorf("b %d", nb.Add(1)%3) }}, "b"}
	synctest.Test(t, func(t *testing.T) {
		cfg := Config{Journeys: []Journey{a, b}, Pacer: pacer.Constant{R: 96, D: time.Second},
			MaxInflight: 1, Timeout: time.Second, CoarseTimer: true, Proc: noProc, Start: time.Now(),
			Resolve: func(string) []netip.Addr { return nil }}
		e, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		res := runBubble(t, e, context.Background(), context.Background())
		kept := map[string]int{}
		for _, tr := range res.Targets {
			if tr.Kind != events.TargetIteration {
				continue
			}
			var n int64
			for _, m := range tr.Counts.ErrorMessages["other"] {
				n += m.Count
				if !strings.HasPrefix(m.Message, tr.Name+" ") {
					t.Errorf("%s keeps %q, another target's message", tr.Name, m.Message)
				}
			}
			kept[tr.Name] = len(tr.Counts.ErrorMessages["other"])
			if tr.Name == "b" && (n != tr.Counts.Errors["other"] || n == 0) {
				t.Errorf("b: %d of %d errors have a kept message (%v); want every one", n, tr.Counts.Errors["other"], tr.Counts.ErrorMessages)
			}
		}
		if kept["a"] != events.MaxErrorMessages || kept["b"] != 3 {
			t.Errorf("messages kept: %v; want a: %d, b: 3", kept, events.MaxErrorMessages)
		}
		if n := len(res.Counts.ErrorMessages["other"]); n != events.MaxErrorMessages || res.Counts.Errors["other"] != 96 {
			t.Errorf("the shard's totals keep %d messages of class other, of %d errors; want %d, of 96",
				n, res.Counts.Errors["other"], events.MaxErrorMessages)
		}
	})
}
