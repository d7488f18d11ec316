package events

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from the decoded fixtures")

// runspecUnset lists the fields runspec.json leaves zero, and why; the
// fixtures that carry its spec (submit-request.json) or its ramp load
// (shardmessage.json) leave the same.
var runspecUnset = map[string]string{
	"RunSpec.H2C":    "excludes http2, which the fixture sets",
	"Load.Rate":      "a ramp reads from and to",
	"Load.Stages":    "in runspec-stages.json",
	"Load.FindMax":   "in runspec-findmax.json",
	"Threshold.Step": "a ramp has no steps; in runspec-stages.json",
}

// TestRoundTrip decodes each fixture strictly, checks that it sets every
// field, and checks that encoding is stable: the fixture re-encoded is the
// fixture, byte for byte, and decodes to the same value.
func TestRoundTrip(t *testing.T) {
	tests := []struct {
		file string
		v    any // a pointer to a zero document
		// unset lists fields the fixture leaves zero, and why.
		unset map[string]string
	}{
		{"runspec.json", new(RunSpec), runspecUnset},
		{"runspec-stages.json", new(RunSpec), stagedUnset(map[string]string{
			"Load.FindMax":        "in runspec-findmax.json",
			"Threshold.Target":    "excludes step; in runspec.json",
			"Threshold.Abort":     "in runspec.json",
			"Limit.Number":        "in runspec.json",
			"RunSpec.SubmittedBy": "in runspec.json",
			"RunSpec.AllowHosts":  "in runspec.json",
		})},
		{"runspec-findmax.json", new(RunSpec), stagedUnset(map[string]string{
			"Load.Stages":         "in runspec-stages.json",
			"FindMax.Increment":   "excludes factor; in TestFindMaxSteps",
			"RunSpec.Thresholds":  "in runspec.json",
			"RunSpec.SubmittedBy": "in runspec.json",
			"RunSpec.AllowHosts":  "in runspec.json",
		})},
		{"shardresult.json", new(ShardResult), map[string]string{
			"SeriesPoint.TargetList": "not in the wire form (json:\"-\"); pkg/reduce TestDecodeResult",
		}},
		{"report.json", new(Report), map[string]string{
			"Report.NothingSucceeded": "the fixture's run succeeded; pkg/report TestNothingSucceeded",
			"Report.ExpectFailures":   "the spec's, set with nothing_succeeded",
		}},
		{"dispatch.json", new(Dispatch), nil},
		{"progress.json", new(ShardProgress), nil},
		{"liveshard.json", new(LiveShard), nil},
		{"shardmessage.json", new(ShardMessage), runspecUnset}, // its load is runspec.json's ramp
		{"plan.json", new(Plan), nil},
		{"invoke-dispatch.json", new(DispatchPayload), nil},
		{"invoke-reduce.json", new(ReducePayload), nil},
		{"invoke-worker.json", new(WorkerPayload), nil},
		{"worker-response.json", new(WorkerResponse), nil},
		{"invoke-stored-spec.json", new(StoredSpecPayload), nil},
		{"submit-request.json", new(SubmitRequest), runspecUnset},
		{"submit-response.json", new(SubmitResponse), nil},
		{"error-body.json", new(ErrorBody), nil},
		{"run-status.json", new(RunStatus), nil},
		{"abort-response.json", new(AbortResponse), nil},
		{"report-link.json", new(ReportLink), nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			fixture, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := decodeStrict(fixture, tt.v); err != nil {
				t.Fatalf("decode %s: %v", path, err)
			}
			if zero := unsetFields(tt.v, tt.unset); len(zero) > 0 {
				t.Errorf("%s leaves fields zero (set them, or list them in unset with a reason): %v", path, zero)
			}
			enc, err := json.MarshalIndent(tt.v, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			enc = append(enc, '\n')
			if *update {
				if err := os.WriteFile(path, enc, 0o644); err != nil {
					t.Fatal(err)
				}
			} else if !bytes.Equal(enc, fixture) {
				t.Errorf("%s re-encodes differently (run go test -update and review the diff):\n%s", path, enc)
			}
			again := reflect.New(reflect.TypeOf(tt.v).Elem()).Interface()
			if err := decodeStrict(enc, again); err != nil {
				t.Fatalf("decode the re-encoded %s: %v", path, err)
			}
			if !reflect.DeepEqual(tt.v, again) {
				t.Errorf("%s changes in a round trip:\n got %+v\nwant %+v", path, again, tt.v)
			}
		})
	}
}

// stagedUnset adds to more the fields that the staged fixtures leave to
// runspec.json, which sets them.
func stagedUnset(more map[string]string) map[string]string {
	for _, f := range []string{"RunSpec.Workers", "RunSpec.KeepAlive", "RunSpec.HTTP2", "RunSpec.H2C",
		"RunSpec.Insecure", "RunSpec.Timeout", "RunSpec.MaxInflight", "RunSpec.Connections", "Target.Name",
		"Target.Method", "Target.Headers", "Target.Body", "Target.BodyFile", "Target.Weight", "Load.Rate",
		"Load.From", "Load.To", "RunSpec.Scenarios", "RunSpec.LateLimit", "RunSpec.Monitor"} {
		more[f] = "in runspec.json"
	}
	return more
}

// TestFixtureValid checks that the RunSpec fixtures are specs that would run.
func TestFixtureValid(t *testing.T) {
	for _, name := range []string{"runspec.json", "runspec-stages.json", "runspec-findmax.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		var s RunSpec
		if err := decodeStrict(b, &s); err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(); err != nil {
			t.Errorf("Validate(%s) = %v", name, err)
		}
	}
}

// decodeStrict decodes one JSON document, rejecting unknown fields.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// unsetFields lists, as "Type.Field", the struct fields that are zero (or
// empty) everywhere they occur in v, except those in allowed.
func unsetFields(v any, allowed map[string]string) []string {
	set := map[string]bool{}
	var walk func(reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Struct:
			if v.Type() == reflect.TypeFor[time.Time]() {
				return
			}
			for i := 0; i < v.NumField(); i++ {
				f := v.Field(i)
				key := v.Type().Name() + "." + v.Type().Field(i).Name
				full := !f.IsZero()
				if f.Kind() == reflect.Slice || f.Kind() == reflect.Map {
					full = f.Len() > 0
				}
				set[key] = set[key] || full
				walk(f)
			}
		case reflect.Slice:
			if v.Type().Elem().Kind() != reflect.Uint8 {
				for i := 0; i < v.Len(); i++ {
					walk(v.Index(i))
				}
			}
		case reflect.Map:
			for it := v.MapRange(); it.Next(); {
				walk(it.Value())
			}
		}
	}
	walk(reflect.ValueOf(v))
	var zero []string
	for k, ok := range set {
		if _, exempt := allowed[k]; !ok && !exempt {
			zero = append(zero, k)
		}
	}
	slices.Sort(zero)
	return zero
}

func TestDurationText(t *testing.T) {
	tests := []struct {
		in      string
		want    Duration
		wantErr bool
	}{
		{"1m30s", Duration(90 * time.Second), false},       // the usual form
		{"250ms", Duration(250 * time.Millisecond), false}, // below a second
		{"-5s", Duration(-5 * time.Second), false},         // negative parses; Validate rejects it
		{"0", 0, false},          // zero needs no unit
		{"10", 0, true},          // a number without a unit
		{"ten seconds", 0, true}, // not a duration
	}
	for _, tt := range tests {
		var d Duration
		err := d.UnmarshalText([]byte(tt.in))
		if (err != nil) != tt.wantErr || d != tt.want {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v, error %v", tt.in, d, err, tt.want, tt.wantErr)
		}
		if err == nil {
			b, _ := d.MarshalText()
			var back Duration
			if err := back.UnmarshalText(b); err != nil || back != d {
				t.Errorf("MarshalText(%v) = %s, which reads back as %v, %v", d, b, back, err)
			}
		}
	}
}

// TestLegacyEncodings reads documents as an earlier version of this package
// wrote them (testdata/legacy: the encoding before ShardMessage and
// PlanShard shared ShardWindow, which moved their keys) and checks that the
// wire did not change: each decodes strictly to the value of its current
// fixture, and re-encodes to the same keys and values, in whatever order.
func TestLegacyEncodings(t *testing.T) {
	tests := []struct {
		file string
		v    func() any // a pointer to a zero document
	}{
		{"shardmessage.json", func() any { return new(ShardMessage) }},
		{"plan.json", func() any { return new(Plan) }},
		{"submit-response.json", func() any { return new(SubmitResponse) }},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			legacy, err := os.ReadFile(filepath.Join("testdata", "legacy", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			current, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			old, cur := tt.v(), tt.v()
			if err := decodeStrict(legacy, old); err != nil {
				t.Fatalf("decode the legacy %s: %v", tt.file, err)
			}
			if err := decodeStrict(current, cur); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(old, cur) {
				t.Errorf("legacy %s decodes to\n%+v\nwant the current fixture's\n%+v", tt.file, old, cur)
			}
			enc, err := json.Marshal(old)
			if err != nil {
				t.Fatal(err)
			}
			var got, want any
			if err := json.Unmarshal(enc, &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(legacy, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s re-encodes to other keys or values than the legacy encoding:\n got %s\nwant %s", tt.file, enc, legacy)
			}
		})
	}
}
