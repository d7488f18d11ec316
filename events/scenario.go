package events

import (
	"fmt"
	"strings"
)

// Scenario is a virtual-user journey: each arrival assigned to it starts
// one iteration, which sends Steps in order, a new user on a new
// connection. Scenarios share the arrivals with the spec's targets by
// weight. A scenario is written with Steps, or with a built-in Flow (an
// OpenID Connect journey) that generates them.
type Scenario struct {
	// Name labels the scenario in reports: its iterations are the target
	// NAME, its steps NAME/STEP.
	Name string `json:"name" yaml:"name"`
	// Weight is the scenario's share of arrivals beside the targets and the
	// other scenarios; 0 means 1.
	Weight int `json:"weight,omitempty" yaml:"weight"`
	// Flow generates the steps of a built-in OpenID Connect journey.
	Flow *Flow `json:"flow,omitempty" yaml:"flow"`
	// Steps are the requests of an iteration, in order.
	Steps []ScenarioStep `json:"steps,omitempty" yaml:"steps"`
	// Users and CSV are datasets: iteration n takes row n of the run-wide
	// arrival index (modulo the rows), so that shards use distinct rows.
	// Users gives the variables username and password; CSV one variable per
	// column of its header.
	Users *UsersData `json:"users,omitempty" yaml:"users"`
	CSV   *CSVData   `json:"csv,omitempty" yaml:"csv"`
	// Vars are constants for the templates.
	Vars map[string]string `json:"vars,omitempty" yaml:"vars"`
	// Secrets are variables whose values the worker resolves from a
	// reference: env:NAME, file:PATH, ssm:/PARAMETER or
	// secretsmanager:ARN (with an optional #field of a JSON value). Only the
	// reference travels; the value never appears in a message, a log, a
	// result or a report.
	Secrets map[string]string `json:"secrets,omitempty" yaml:"secrets"`
	// Connection is ConnectionIteration (default: each iteration dials its
	// own connections and closes them at its end, as a new user would) or
	// ConnectionShared (an in-flight slot keeps its connections across
	// iterations).
	Connection string `json:"connection,omitempty" yaml:"connection"`
}

// Connection modes of a scenario.
const (
	ConnectionIteration = "iteration"
	ConnectionShared    = "shared"
)

// ScenarioStep is one request of a scenario. Method, URL, header values, Body and
// Form values are templates: {{name}} or {{name | filter}} with the filters
// urlencode, json, base64 and base64url.
type ScenarioStep struct {
	// Name labels the step in reports; defaults to "METHOD PATH".
	Name   string            `json:"name,omitempty" yaml:"name"`
	Method string            `json:"method,omitempty" yaml:"method"`
	URL    string            `json:"url" yaml:"url"`
	Header map[string]string `json:"headers,omitempty" yaml:"headers"`
	Body   string            `json:"body,omitempty" yaml:"body"`
	// Form is sent as an application/x-www-form-urlencoded body, its values
	// escaped, its keys in sorted order; give Body or Form, not both.
	Form map[string]string `json:"form,omitempty" yaml:"form"`
	// Expect lists the statuses that pass; empty passes 2xx and 3xx. A step
	// that does not pass ends the iteration (class unexpected_status).
	Expect []int `json:"expect,omitempty" yaml:"expect"`
	// Extract reads variables from the response for the later steps; a
	// missing value ends the iteration (class extract).
	Extract []Extract `json:"extract,omitempty" yaml:"extract"`
	// Think is a pause after the step, before the next one.
	Think Duration `json:"think,omitempty" yaml:"think"`
	// FollowRedirects follows 3xx responses (up to 10) as one step.
	FollowRedirects bool `json:"follow_redirects,omitempty" yaml:"follow_redirects"`
	// Repeat sends the step this many times in a row (0 means once), each
	// with its extractions and think time: a token refreshed 8 times per
	// login.
	Repeat int `json:"repeat,omitempty" yaml:"repeat"`
}

// Extract reads one value from a response into a variable.
type Extract struct {
	// Var is the variable set.
	Var string `json:"var" yaml:"var"`
	// From is json, regex, header, cookie or form.
	From string `json:"from" yaml:"from"`
	// Expr selects the value: a JSON path ($.access_token), an RE2
	// expression (its first group), a header or cookie name, a form input's
	// name or form.action.
	Expr string `json:"expr" yaml:"expr"`
	// Index picks among several matches (0 first, -1 last).
	Index int `json:"index,omitempty" yaml:"index"`
	// Default is used when nothing is found, instead of failing.
	Default *string `json:"default,omitempty" yaml:"default"`
}

// UsersData generates numbered users: iteration n logs in as
// Pattern with {n} = Start + (n mod Count).
type UsersData struct {
	Pattern         string `json:"pattern,omitempty" yaml:"pattern"`                   // default "user-{n}"
	PasswordPattern string `json:"password_pattern,omitempty" yaml:"password_pattern"` // default "pass-{n}"
	Count           int64  `json:"count" yaml:"count"`
	Start           int64  `json:"start,omitempty" yaml:"start"`
}

// CSVData is a CSV dataset whose first record names the columns. File is
// read when the spec is loaded (relative to the spec) into Text, which is
// what travels.
type CSVData struct {
	File    string `json:"file,omitempty" yaml:"file"`
	Text    string `json:"text,omitempty" yaml:"text"`
	Shuffle bool   `json:"shuffle,omitempty" yaml:"shuffle"`
	Seed    uint64 `json:"seed,omitempty" yaml:"seed"`
}

// MaxSteps bounds a scenario's steps (after repeats).
const MaxSteps = 1000

// ScenarioChecker is a deeper check of scenario s at field (its
// templates, extractors and datasets compiled) that returns its problems as
// *FieldError under field. Package events cannot compile a scenario: the
// compiler (pkg/journey) is above it. RunSpec.ValidateWith takes one;
// pkg/prepare passes journey's.
type ScenarioChecker func(s *Scenario, field string) []error

// validate checks sc, at field, and then, if sc has no problem of its own
// and deep is set, hands it to deep.
func (sc *Scenario) validate(field string, p *problems, deep ScenarioChecker) {
	before := len(*p)
	sc.validateHead(field, p)
	if sc.Flow != nil {
		sc.Flow.validate(field, sc, p)
	}
	sc.validateSteps(field, p)
	if sc.Connection != "" && sc.Connection != ConnectionIteration && sc.Connection != ConnectionShared {
		p.add(field+".connection", "%q (want %s or %s)", sc.Connection, ConnectionIteration, ConnectionShared)
	}
	if sc.CSV != nil && sc.CSV.File != "" && sc.CSV.Text == "" {
		p.add(field+".csv.file", "%s was not read (load the spec with spec.Load)", sc.CSV.File)
	}
	if deep != nil && len(*p) == before {
		*p = append(*p, deep(sc, field)...)
	}
}

// validateHead checks sc's name and weight, and that it has steps or a
// flow.
func (sc *Scenario) validateHead(field string, p *problems) {
	if sc.Name == "" {
		p.add(field+".name", "a scenario needs a name")
	} else if strings.Contains(sc.Name, "/") {
		p.add(field+".name", "%q: no / in a scenario's name (its steps are NAME/STEP)", sc.Name)
	}
	if sc.Weight < 0 || sc.Weight > MaxWeight {
		p.add(field+".weight", "%d is out of range (0 ≤ weight ≤ %d)", sc.Weight, MaxWeight)
	}
	switch {
	case sc.Flow == nil && len(sc.Steps) == 0:
		p.add(field, "give steps or a flow")
	case sc.Flow != nil && len(sc.Steps) > 0:
		p.add(field, "give steps or a flow, not both")
	}
}

// validateSteps checks sc's steps and their number after repeats.
func (sc *Scenario) validateSteps(field string, p *problems) {
	steps := 0
	for i, st := range sc.Steps {
		st.validate(fmt.Sprintf("%s.steps[%d]", field, i), p)
		steps += max(st.Repeat, 1)
	}
	if steps > MaxSteps {
		p.add(field+".steps", "%d steps after repeats; at most %d", steps, MaxSteps)
	}
}

// validate checks step st at field.
func (st *ScenarioStep) validate(field string, p *problems) {
	if st.URL == "" {
		p.add(field+".url", "required")
	}
	if st.Body != "" && len(st.Form) > 0 {
		p.add(field, "give body or form, not both")
	}
	if strings.Contains(st.Name, "/") {
		p.add(field+".name", "%q: no / in a step's name", st.Name)
	}
	for _, c := range st.Expect {
		if c < 100 || c > 599 {
			p.add(field+".expect", "%d is not an HTTP status", c)
		}
	}
	if st.Repeat < 0 || st.Think < 0 {
		p.add(field, "repeat and think must not be negative")
	}
}

// validateScenarios checks the scenarios and their names' uniqueness.
func (s *RunSpec) validateScenarios(p *problems, deep ScenarioChecker) {
	seen := map[string]bool{}
	for i := range s.Scenarios {
		field := fmt.Sprintf("scenarios[%d]", i)
		s.Scenarios[i].validate(field, p, deep)
		if n := s.Scenarios[i].Name; n != "" {
			if seen[n] {
				p.add(field+".name", "%q names two scenarios", n)
			}
			seen[n] = true
		}
	}
}
