package journey

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/scenario"
	"github.com/barrage-load/barrage/pkg/secret"
)

// Compile checks and compiles scenario sc. It reads no secret and makes no
// request: Prepare does.
func Compile(sc events.Scenario, opts Options) (*Journey, error) {
	j := &Journey{sc: sc, opts: opts, names: new(scenario.Names), consts: map[int]string{},
		secrets: map[int]string{}, built: map[string]int{}, perSlot: map[int]*http.Transport{}, lean: map[int]*lean{},
		shared: sc.Connection == events.ConnectionShared, basic: -1, code: -1}
	c := &compiler{j: j}
	specSteps := c.variables()
	// Every extracted variable is declared before any template compiles,
	// so a step may use what an earlier one extracts.
	extractors := c.extractors(specSteps)
	hosts := map[string]bool{}
	for i, st := range specSteps {
		c.step(i, st, extractors[i], hosts)
	}
	if sc.Flow != nil {
		if u, err := url.Parse(sc.Flow.Issuer); err == nil && u.Host != "" {
			hosts[hostPort(u)] = true
		}
	}
	j.hosts = slices.Sorted(maps.Keys(hosts))
	j.usedBuiltins()
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	j.vars.New = func() any { return scenario.NewVars(j.names) }
	return j, nil
}

// compiler is one Compile: the journey it builds and the problems found,
// each under the field of the scenario that has it.
type compiler struct {
	j    *Journey
	errs []error
}

func (c *compiler) fail(field string, err error) { c.errs = append(c.errs, prefix(field, err)) }

// declare declares the variable name, which field of the scenario gives.
func (c *compiler) declare(field, name string) int {
	i, err := c.j.names.Declare(name)
	if err != nil {
		c.fail(field, err)
	}
	return i
}

// variables declares the scenario's variables, which take their indexes in
// this order: a flow's own, the constants (sorted), the secrets (sorted),
// the dataset's, and the built-ins the scenario does not shadow. It
// returns the steps to compile: the scenario's, or its flow's.
func (c *compiler) variables() []stepSpec {
	sc, j := c.j.sc, c.j
	var specSteps []stepSpec
	for _, st := range sc.Steps {
		specSteps = append(specSteps, stepSpec{ScenarioStep: st})
	}
	vars := maps.Clone(sc.Vars)
	if f := sc.Flow; f != nil {
		specSteps = flowSteps(f)
		vars = c.flow(f, vars)
	}
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		j.consts[c.declare("vars."+k, k)] = vars[k]
	}
	for _, k := range slices.Sorted(maps.Keys(sc.Secrets)) {
		if err := secret.Check(sc.Secrets[k]); err != nil {
			c.fail("secrets."+k, err)
		}
		j.secrets[c.declare("secrets."+k, k)] = sc.Secrets[k]
	}
	if err := j.bindData(); err != nil {
		c.fail("", err)
	}
	for _, b := range builtins {
		if _, taken := j.names.Index(b); !taken {
			j.built[b] = c.declare("", b)
		}
	}
	return specSteps
}

// flow declares the variables of flow f that are not constants (its
// client secret, the basic credentials, the code) and returns vars with
// the flow's constants added where vars does not set them.
func (c *compiler) flow(f *events.Flow, vars map[string]string) map[string]string {
	j := c.j
	if vars == nil {
		vars = map[string]string{}
	}
	for k, v := range flowVars(f) {
		if _, ok := vars[k]; !ok {
			vars[k] = v
		}
	}
	if f.ClientSecret != "" {
		if err := secret.Check(f.ClientSecret); err != nil {
			c.fail("flow.client_secret", err)
		}
		j.secrets[c.declare("flow.client_secret", VarClientSecret)] = f.ClientSecret
	}
	if f.ClientAuth == events.ClientAuthBasic {
		j.basic = c.declare("flow.client_auth", VarClientBasic)
	}
	if f.Grant == events.GrantAuthorizationCode {
		j.code = c.declare("flow", VarCode)
	}
	return vars
}

// extractors compiles each step's extractors, declaring the variables
// they set.
func (c *compiler) extractors(specSteps []stepSpec) [][]*extractor {
	extractors := make([][]*extractor, len(specSteps))
	for i, st := range specSteps {
		for k, x := range st.Extract {
			ex, err := compileExtract(x, c.j.names)
			if err != nil {
				c.fail(fmt.Sprintf("steps[%d].extract[%d]", i, k), err)
				continue
			}
			ex.keep, ex.missing = slices.Contains(st.keep, x.Var), st.missing[x.Var]
			switch x.From {
			case scenario.FromHeader:
				if k := http.CanonicalHeaderKey(x.Expr); !slices.Contains(c.j.keepHeaders, k) {
					c.j.keepHeaders = append(c.j.keepHeaders, k)
				}
			case scenario.FromCookie:
				c.j.keepCookies = true
			}
			extractors[i] = append(extractors[i], ex)
		}
	}
	return extractors
}

// step compiles step i, st, with its extractors ex, adds it to the journey
// (Repeat times) and the hosts its static URL names to hosts.
func (c *compiler) step(i int, st stepSpec, ex []*extractor, hosts map[string]bool) {
	j := c.j
	field := fmt.Sprintf("steps[%d]", i)
	if j.sc.Flow != nil {
		field = "flow (" + st.Name + ")"
	}
	s := step{name: st.Name, kind: st.kind, expect: st.Expect, extract: ex, think: st.Think.D(),
		follow: st.FollowRedirects, refusal: st.refusal}
	for _, name := range st.uses {
		k, ok := j.names.Index(name)
		if !ok {
			c.fail(field, fmt.Errorf("needs the variable %s (give users, or a csv with a %s column)", name, name))
			continue
		}
		s.uses = append(s.uses, k)
	}
	method := stepMethod(st.ScenarioStep)
	s.method, s.url = c.template(field, "method", method), c.template(field, "url", st.URL)
	if s.url != nil && st.kind == sendStep {
		c.staticHost(field, s.url, hosts)
	}
	if s.name == "" {
		s.name = method + " " + pathOf(st.URL)
	}
	if s.method != nil && s.url != nil && st.kind == sendStep {
		m, ok := s.method.Static()
		src, ok2 := s.url.Static()
		if p, err := url.Parse(src); ok && ok2 && err == nil && p.IsAbs() && validMethod(m) {
			s.static, s.staticURL = m, p
		}
	}
	for _, k := range slices.Sorted(maps.Keys(st.Header)) {
		s.header = append(s.header, headerTmpl{http.CanonicalHeaderKey(k), c.template(field, "headers."+k, st.Header[k])})
	}
	if st.Body != "" {
		s.body = c.template(field, "body", st.Body)
	}
	for _, k := range slices.Sorted(maps.Keys(st.Form)) {
		s.form = append(s.form, formField{k, c.template(field, "form."+k, st.Form[k])})
	}
	s.id = j.stepID(s.name)
	for _, name := range st.also {
		s.ids = append(s.ids, j.stepID(name))
	}
	for range max(st.Repeat, 1) {
		j.steps = append(j.steps, s)
	}
}

// template compiles src, part f of the step at field.
func (c *compiler) template(field, f, src string) *scenario.Template {
	t, err := scenario.Compile(src, c.j.names)
	if err != nil {
		c.fail(field+"."+f, err)
	}
	return t
}

// staticHost adds the host of u, a step's URL, to hosts when u has no
// variable, after checking that it is an absolute http(s) URL.
func (c *compiler) staticHost(field string, u *scenario.Template, hosts map[string]bool) {
	src, ok := u.Static()
	if !ok {
		return
	}
	if p, err := url.Parse(src); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		c.fail(field+".url", fmt.Errorf("%q is not an absolute http(s) URL", src))
	} else {
		hosts[hostPort(p)] = true
	}
}

// stepMethod is st's method: as written, else POST with a body or a form,
// GET without.
func stepMethod(st events.ScenarioStep) string {
	switch {
	case st.Method != "":
		return st.Method
	case st.Body != "" || len(st.Form) > 0:
		return http.MethodPost
	}
	return http.MethodGet
}
