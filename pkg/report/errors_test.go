package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
)

// msgList makes error messages from text, count pairs.
func msgList(kv ...any) []events.ErrorMessage {
	var out []events.ErrorMessage
	for i := 0; i < len(kv); i += 2 {
		out = append(out, events.ErrorMessage{Message: kv[i].(string), Count: int64(kv[i+1].(int))})
	}
	return out
}

// TestTargetErrors: each target of the report carries its error details and
// messages, merged over the shards as the run's are: the counts of what is
// kept add up exactly, and per class at most events.MaxErrorDetails details
// and events.MaxErrorMessages messages are kept, the most frequent (ties by
// text), whatever the order of the shards. The run's details are bounded
// the same way. report.json has them as error_details and error_messages.
func TestTargetErrors(t *testing.T) {
	start := time.Unix(1_800_000_000, 0)
	withErrors := func(id string, details map[string]int64, msgs []events.ErrorMessage) *events.ShardResult {
		res := shard(t, id, start, []time.Duration{time.Millisecond})
		var n int64
		for _, c := range details {
			n += c
		}
		c := events.Counts{Requests: n, Errors: map[string]int64{"unexpected_status": n}, ErrorDetails: details,
			ErrorMessages: map[string][]events.ErrorMessage{"unexpected_status": msgs}}
		res.Targets = append(res.Targets, events.TargetResult{Name: "sc", Kind: events.TargetIteration, Group: "sc", Counts: c})
		res.Counts.Errors = map[string]int64{"reset": n}
		res.Counts.ErrorDetails = map[string]int64{}
		for k, v := range details {
			res.Counts.ErrorDetails["reset "+strings.TrimPrefix(k, "unexpected_status ")] = v
		}
		return res
	}
	a := withErrors("a", map[string]int64{"unexpected_status s: 401": 9, "unexpected_status s: 403": 5, "unexpected_status s: 429": 4,
		"unexpected_status s: 500": 1}, msgList("m401", 9, "m403", 5, "m429", 4, "m500", 1))
	b := withErrors("b", map[string]int64{"unexpected_status s: 500": 7, "unexpected_status s: 502": 3, "unexpected_status s: 503": 2,
		"unexpected_status s: 504": 1, "unexpected_status s: 403": 1}, msgList("m500", 7, "m502", 3, "m503", 2, "m504", 1, "m403", 1))
	// 401 ×9, 500 ×8, 403 ×6, 429 ×4, 502 ×3; 503 ×2 and 504 ×1 are not kept.
	wantDetails := map[string]int64{"unexpected_status s: 401": 9, "unexpected_status s: 500": 8, "unexpected_status s: 403": 6,
		"unexpected_status s: 429": 4, "unexpected_status s: 502": 3}
	wantMsgs := map[string][]events.ErrorMessage{"unexpected_status": msgList("m401", 9, "m500", 8, "m403", 6, "m429", 4, "m502", 3)}
	wantRun := map[string]int64{}
	for k, v := range wantDetails {
		wantRun["reset "+strings.TrimPrefix(k, "unexpected_status ")] = v
	}
	type target struct {
		Name          string                           `json:"name"`
		Errors        map[string]int64                 `json:"errors"`
		ErrorDetails  map[string]int64                 `json:"error_details"`
		ErrorMessages map[string][]events.ErrorMessage `json:"error_messages"`
	}
	for _, order := range [][]*events.ShardResult{{a, b}, {b, a}} {
		r, err := Build(Input{RunID: "r", Results: order})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(r)
		var got struct {
			ErrorDetails map[string]int64 `json:"error_details"`
			Targets      []target         `json:"targets"`
		}
		json.Unmarshal(b, &got)
		sc := got.Targets[1]
		if sc.Name != "sc" || sc.Errors["unexpected_status"] != 33 {
			t.Fatalf("target %q errors %v; want sc with 33 unexpected_status", sc.Name, sc.Errors)
		}
		if fmt.Sprint(sc.ErrorDetails) != fmt.Sprint(wantDetails) {
			t.Errorf("shards %s, %s: sc error_details\n got %v\nwant %v", order[0].ShardID, order[1].ShardID, sc.ErrorDetails, wantDetails)
		}
		if fmt.Sprint(sc.ErrorMessages) != fmt.Sprint(wantMsgs) {
			t.Errorf("shards %s, %s: sc error_messages\n got %v\nwant %v", order[0].ShardID, order[1].ShardID, sc.ErrorMessages, wantMsgs)
		}
		if fmt.Sprint(got.ErrorDetails) != fmt.Sprint(wantRun) {
			t.Errorf("shards %s, %s: the run's error_details\n got %v\nwant %v", order[0].ShardID, order[1].ShardID, got.ErrorDetails, wantRun)
		}
		if t0 := got.Targets[0]; t0.ErrorDetails != nil || t0.ErrorMessages != nil {
			t.Errorf("target t without errors has details %v, messages %v; want none", t0.ErrorDetails, t0.ErrorMessages)
		}
	}

	// Each rendering shows them under the target's row, compactly: the
	// class, its count, the details kept and the messages kept.
	r, _ := Build(Input{RunID: "r", Results: []*events.ShardResult{a, b}})
	note := `unexpected_status 33 (s: 401 ×9, s: 500 ×8, s: 403 ×6, s: 429 ×4, s: 502 ×3): "m401" ×9; "m500" ×8; "m403" ×6; "m429" ×4; "m502" ×3; 3 more with other messages`
	for _, tc := range []struct {
		name   string
		render func(*bytes.Buffer) error
		row    string // how the row that the note follows begins
		note   string
	}{
		{"text", func(w *bytes.Buffer) error { return Text(w, r) }, "sc (iterations)", "    " + note},
		{"md", func(w *bytes.Buffer) error { return Markdown(w, r) }, "| sc (iterations) |", "| ↳ " + strings.ReplaceAll(note, "|", `\|`) + " |"},
		{"html", func(w *bytes.Buffer) error { return HTML(w, r) }, "<tr><td>sc (iterations)</td>",
			`<tr><td class="note" colspan="8">` + strings.ReplaceAll(note, `"`, "&#34;") + "</td></tr>"},
	} {
		var w bytes.Buffer
		if err := tc.render(&w); err != nil {
			t.Fatal(err)
		}
		out := w.String()
		i := strings.Index(out, tc.row)
		if i < 0 {
			t.Fatalf("%s report has no row %q:\n%s", tc.name, tc.row, out)
		}
		rest := out[i:]
		if _, next, _ := strings.Cut(rest, "\n"); !strings.HasPrefix(next, tc.note) {
			t.Errorf("%s report: the line after the row is not the note\n got %q\nwant %q", tc.name, strings.SplitN(next, "\n", 2)[0], tc.note)
		}
	}
}

// TestNothingSent: a run that sent no request and dropped no arrival says
// why first among its warnings, from its shards: their stop reasons (a
// failed start), why they were lost or missed; one line, the reasons
// grouped, the most common first, at most maxReasons of them.
func TestNothingSent(t *testing.T) {
	start := time.Unix(1_800_000_000, 0)
	failed := func(id, why string) *events.ShardResult {
		return &events.ShardResult{Version: 1, RunID: "r", ShardID: id, Kind: events.KindLambda,
			Status: events.StatusTruncated, StopReason: why, StartedAt: start}
	}
	planned := func(ids ...string) []Shard {
		var out []Shard
		for _, id := range ids {
			out = append(out, Shard{ShardID: id, Kind: events.KindLambda, PlannedRate: 10})
		}
		return out
	}
	disc := "failed: scenario login: discovery: GET http://idp/.well-known/openid-configuration: 500 Internal Server Error"
	for _, tt := range []struct {
		name    string
		planned []Shard
		results []*events.ShardResult
		reasons map[string]string
		want    string
	}{
		// Every shard failed to start, for one reason: said once.
		{"one reason", planned("a", "b"), []*events.ShardResult{failed("a", disc), failed("b", disc)}, nil,
			"no request was sent: 2 of 2 shards failed: scenario login: discovery: GET http://idp/.well-known/openid-configuration: 500 Internal Server Error"},
		// Failed, lost and aborted shards: each reason with its count, the
		// most common first.
		{"mixed", planned("a", "b", "c", "d"),
			[]*events.ShardResult{failed("a", "failed: secret env:X: not set"), failed("b", "aborted"), failed("d", "failed: secret env:X: not set")},
			map[string]string{"c": "claimed by w1, which never reported a result"},
			"no request was sent: 2 of 4 shards failed: secret env:X: not set; 1 of 4 shards stopped: aborted; 1 of 4 shards were lost: claimed by w1, which never reported a result"},
		// More reasons than are told: the rest counted.
		{"bounded", planned("a", "b", "c", "d", "e"),
			[]*events.ShardResult{failed("a", "failed: 1"), failed("b", "failed: 2"), failed("c", "failed: 3"), failed("d", "failed: 4"), failed("e", "failed: 4")}, nil,
			"no request was sent: 2 of 5 shards failed: 4; 1 of 5 shards failed: 1; 1 of 5 shards failed: 2; 1 more shard for 1 other reason"},
		// No shard reported nor has a reason.
		{"nothing known", planned("a"), nil, nil, "no request was sent: 1 of 1 shards were lost: no reason recorded"},
	} {
		r, err := Build(Input{RunID: "r", Planned: tt.planned, Results: tt.results, Reasons: tt.reasons})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Warnings) == 0 || r.Warnings[0] != tt.want {
			t.Errorf("%s: warnings %q\nwant first %q", tt.name, r.Warnings, tt.want)
		}
		for _, w := range r.Warnings {
			if strings.HasPrefix(w, "shard ") {
				t.Errorf("%s: warning %q repeats a shard's reason; want only the first line to say it", tt.name, w)
			}
		}
		var b bytes.Buffer
		Text(&b, r)
		if i, j := strings.Index(b.String(), "!! "+tt.want), strings.Index(b.String(), "Started"); i < 0 || i > j {
			t.Errorf("%s: the text report does not say it above the figures:\n%s", tt.name, b.String())
		}
	}
	// A run that sent something has no such warning.
	r, _ := Build(Input{RunID: "r", Results: []*events.ShardResult{shard(t, "a", start, []time.Duration{time.Millisecond}), failed("b", disc)}})
	if len(r.Warnings) == 0 || strings.HasPrefix(r.Warnings[0], "no request was sent") {
		t.Errorf("warnings %q; want no 'no request was sent' for a run that sent", r.Warnings)
	}
}
