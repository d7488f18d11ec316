// Package barrage_test pins the public contract (CONTRACT.md) to the code:
// report.json's field names and the error classes.
package barrage_test

import (
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/errclass"
)

// section returns the first fenced block after the heading that starts with head.
func section(t *testing.T, head string) string {
	t.Helper()
	b, err := os.ReadFile("CONTRACT.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, head)
	if i < 0 {
		t.Fatalf("CONTRACT.md has no %q", head)
	}
	s = s[i:]
	start := strings.Index(s, "```\n") + 4
	end := start + strings.Index(s[start:], "```")
	return s[start:end]
}

// jsonFields lists the JSON names of a struct type's fields.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			// encoding/json writes an embedded struct's fields as its own.
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func TestReportFieldsMatchContract(t *testing.T) {
	block := section(t, "## report.json")
	// Top-level names start a line; a line may name several, comma-separated,
	// before "(added)" or its description.
	var top []string
	lead := regexp.MustCompile(`^([a-z_0-9]+(?:, [a-z_0-9]+)*)`)
	for _, line := range strings.Split(block, "\n") {
		if m := lead.FindString(line); m != "" {
			top = append(top, strings.Split(m, ", ")...)
		}
	}
	sort.Strings(top)
	if got, want := top, jsonFields(reflect.TypeFor[events.Report]()); !reflect.DeepEqual(got, want) {
		t.Errorf("report.json fields in CONTRACT.md:\n%v\nevents.Report JSON fields:\n%v", got, want)
	}
	nested := func(field string, typ reflect.Type) {
		re := regexp.MustCompile(`(?m)^` + field + `\s+\[\{([^}]*)\}`)
		m := re.FindStringSubmatch(block)
		if m == nil {
			t.Fatalf("CONTRACT.md does not list the fields of %s", field)
		}
		var names []string
		for _, f := range strings.Split(m[1], ",") {
			f = strings.TrimSpace(f)
			f, _, _ = strings.Cut(f, " ") // "kind (local|…)"
			names = append(names, f)
		}
		sort.Strings(names)
		if want := jsonFields(typ); !reflect.DeepEqual(names, want) {
			t.Errorf("%s fields in CONTRACT.md:\n%v\ncode:\n%v", field, names, want)
		}
	}
	nested("targets", reflect.TypeFor[events.TargetReport]())
	nested("shards", reflect.TypeFor[events.ShardReport]())
	nested("time_series", reflect.TypeFor[events.SeriesReport]())
	nested("steps", reflect.TypeFor[events.StepReport]())
	nested("monitor", reflect.TypeFor[events.MonitorReport]())
	nested("thresholds", reflect.TypeFor[events.ThresholdResult]())
	object(t, block, `(?m)^find_max\s+\{([^}]*)\}`, reflect.TypeFor[events.FindMaxReport]())
	object(t, block, `(?m)^\s+slo: \{([^}]*)\}`, reflect.TypeFor[events.SLOReport]())
	object(t, block, `(?m)^\s+health: \{([^}]*)\}`, reflect.TypeFor[events.SeriesHealth]())
	object(t, block, `(?m)^latency_percentiles \{([^}]*)\}`, reflect.TypeFor[events.Percentiles]())
}

// object checks that the {…} list that re matches in block names the JSON
// fields of typ.
func object(t *testing.T, block, re string, typ reflect.Type) {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(block)
	if m == nil {
		t.Fatalf("CONTRACT.md does not list the fields of %s", typ.Name())
	}
	names := fieldNames(m[1])
	if want := jsonFields(typ); !reflect.DeepEqual(names, want) {
		t.Errorf("%s fields in CONTRACT.md:\n%v\ncode:\n%v", typ.Name(), names, want)
	}
}

// fieldNames reads "a, b (note), c" as the sorted names a, b, c.
func fieldNames(list string) []string {
	var names []string
	for _, f := range strings.Split(list, ",") {
		f, _, _ = strings.Cut(strings.TrimSpace(f), " ")
		names = append(names, f)
	}
	sort.Strings(names)
	return names
}

// TestSpecFieldsMatchContract pins the spec parts CONTRACT.md documents
// (load shapes, thresholds, monitor) to events' JSON names.
func TestSpecFieldsMatchContract(t *testing.T) {
	block := section(t, "## Spec: load shapes and thresholds")
	types := map[string]reflect.Type{
		"load":       reflect.TypeFor[events.Load](),
		"stages":     reflect.TypeFor[events.Stage](),
		"find_max":   reflect.TypeFor[events.FindMax](),
		"slo":        reflect.TypeFor[events.SLO](),
		"thresholds": reflect.TypeFor[events.Threshold](),
		"abort":      reflect.TypeFor[events.ThresholdAbort](),
		"monitor":    reflect.TypeFor[events.Monitor](),
	}
	line := regexp.MustCompile(`(?m)^([a-z_]+)\s+\[?\{([^}]*)\}`)
	seen := map[string]bool{}
	for _, m := range line.FindAllStringSubmatch(block, -1) {
		typ, ok := types[m[1]]
		if !ok {
			t.Errorf("CONTRACT.md documents %q, which this test does not know", m[1])
			continue
		}
		seen[m[1]] = true
		if names, want := fieldNames(m[2]), jsonFields(typ); !reflect.DeepEqual(names, want) {
			t.Errorf("%s fields in CONTRACT.md:\n%v\n%s:\n%v", m[1], names, typ.Name(), want)
		}
	}
	for name := range types {
		if !seen[name] {
			t.Errorf("CONTRACT.md does not list the fields of %s", name)
		}
	}
}

func TestErrorClassesMatchContract(t *testing.T) {
	b, err := os.ReadFile("CONTRACT.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "Error classes:")
	if i < 0 {
		t.Fatal("CONTRACT.md lists no error classes")
	}
	var documented []string
	s, _, _ = strings.Cut(s[i:], "HTTP statuses")
	for _, m := range regexp.MustCompile("`([a-z_]+)`").FindAllStringSubmatch(s, -1) {
		documented = append(documented, m[1])
	}
	var code []string
	for c := errclass.Class(1); c < errclass.NumClasses; c++ {
		code = append(code, c.String())
	}
	sort.Strings(documented)
	sort.Strings(code)
	if !reflect.DeepEqual(documented, code) {
		t.Errorf("error classes in CONTRACT.md %v; in pkg/errclass %v", documented, code)
	}
}

func TestPlanFieldsMatchContract(t *testing.T) {
	block := section(t, "## plan.json")
	var top []string
	lead := regexp.MustCompile(`^([a-z_0-9]+)\s`)
	for _, line := range strings.Split(block, "\n") {
		if m := lead.FindStringSubmatch(line); m != nil {
			top = append(top, m[1])
		}
	}
	sort.Strings(top)
	if want := jsonFields(reflect.TypeFor[events.Plan]()); !reflect.DeepEqual(top, want) {
		t.Errorf("plan.json fields in CONTRACT.md:\n%v\nevents.Plan:\n%v", top, want)
	}
	m := regexp.MustCompile(`(?s)shards\s+\[\{(.*?)\}\]`).FindStringSubmatch(block)
	if m == nil {
		t.Fatal("CONTRACT.md does not list the fields of plan shards")
	}
	var names []string
	fields := regexp.MustCompile(`\([^)]*\)`).ReplaceAllString(m[1], "") // drop the parenthesised notes
	for _, f := range strings.Split(fields, ",") {
		f = strings.TrimSpace(f)
		f, _, _ = strings.Cut(f, " ")
		if f == "memory_mb" {
			names = append(names, "memory_mb", "vcpu") // "memory_mb or vcpu"
			continue
		}
		names = append(names, f)
	}
	sort.Strings(names)
	if want := jsonFields(reflect.TypeFor[events.PlanShard]()); !reflect.DeepEqual(names, want) {
		t.Errorf("plan shard fields in CONTRACT.md:\n%v\nevents.PlanShard:\n%v", names, want)
	}
}
