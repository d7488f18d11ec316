//go:build integration

package integration

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/barrage-load/barrage/events"
)

// This file holds what barrage's report says against what hydra and the
// login-and-consent app say.

// loginScenario names a browser-login scenario's steps in the report ("":
// the scenario has none) whose successes the provider must have seen.
type loginScenario struct {
	name, client string
	// authorize lands on the login page; form posts it; consent posts the
	// consent form, or skippedConsent passes the consent app without one;
	// token exchanges the code; refresh refreshes; logout reaches the
	// logout app; verify is a refresh after logout that must be refused.
	authorize, form, consent, skippedConsent, token, refresh, logout, verify string
	// chain: the steps are the built-in flow's, each following its
	// redirects, so a step's requests and successes count every hop; a
	// step's passes are then the iterations that got past it (passes).
	chain bool
}

// passes returns how many times the scenario's step name was passed: its
// successes for hand-made steps (one request each); for a built-in flow,
// whose steps follow redirects, the iterations run less those that failed
// at name or a step before it in flowSteps (the iteration's error details
// say which step: "class STEP: …").
func passes(rep *events.Report, s loginScenario, name string) int64 {
	if !s.chain {
		return step(rep, s.name, name).Success
	}
	it := step(rep, s.name, "")
	n := it.Requests
	for _, st := range flowSteps {
		for k, v := range it.ErrorDetails {
			if _, detail, _ := strings.Cut(k, " "); strings.HasPrefix(detail, st+":") {
				n -= v
			}
		}
		if st == name {
			break
		}
	}
	return n
}

// step returns the report's target SCENARIO/STEP, or the scenario's
// iterations when name is "" (a zero target if there is none).
func step(rep *events.Report, scenario, name string) events.TargetReport {
	want := scenario
	if name != "" {
		want += "/" + name
	}
	for _, tr := range rep.Targets {
		if tr.Name == want {
			return tr
		}
	}
	return events.TargetReport{}
}

// checkSteps fails t unless the report lists each step of the scenario
// and every request of each succeeded, and at least one iteration, each of
// them complete.
func checkSteps(t *testing.T, rep *events.Report, scenario string, steps ...string) {
	t.Helper()
	var names []string
	for _, tr := range rep.Targets {
		names = append(names, tr.Name)
	}
	it := step(rep, scenario, "")
	if it.Requests == 0 || it.Success != it.Requests {
		t.Errorf("%s: %d of %d iterations complete, errors %v, report errors %v; want all, and at least one",
			scenario, it.Success, it.Requests, it.Errors, rep.ErrorDetails)
	}
	for _, s := range steps {
		tr := step(rep, scenario, s)
		switch {
		case tr.Name == "":
			t.Errorf("the report has no step %s/%s; its targets: %s", scenario, s, strings.Join(names, ", "))
		case tr.Requests == 0:
			t.Errorf("%s: no request: every iteration stopped before it (the step before did not pass)", tr.Name)
		case tr.Success != tr.Requests:
			t.Errorf("%s: %d of %d requests succeeded; statuses %v, errors %v", tr.Name, tr.Success, tr.Requests,
				tr.StatusCodes, tr.Errors)
		}
	}
}

// figure logs a count of barrage's beside the provider's, and fails t if
// they differ.
func figure(t *testing.T, what string, barrage, provider int64) {
	t.Helper()
	t.Logf("%-78s barrage %3d, provider %3d", what+":", barrage, provider)
	if barrage != provider {
		t.Errorf("%s: barrage counted %d, the provider %d", what, barrage, provider)
	}
}

// checkLogins holds the scenarios' step counts against the app's logins,
// consents and logouts, and their token steps against hydra's token
// endpoint; after a verified logout, every refresh token hydra issued to
// the client must be inactive, and each refresh it refused must have
// presented the session's live token (issued, never presented before).
func checkLogins(t *testing.T, h *Hydra, rep *events.Report, scenarios ...loginScenario) {
	t.Helper()
	st := h.Stats()
	// sum counts, over the scenarios, the step each names.
	sum := func(stepOf func(loginScenario) string, count func(loginScenario, string) int64) int64 {
		var n int64
		for _, s := range scenarios {
			if name := stepOf(s); name != "" {
				n += count(s, name)
			}
		}
		return n
	}
	ok := func(s loginScenario, name string) int64 { return passes(rep, s, name) }
	failed := func(s loginScenario, name string) int64 {
		if s.chain { // a failed hop fails the iteration: its details say where
			return passes(rep, s, previous(name)) - passes(rep, s, name)
		}
		tr := step(rep, s.name, name)
		return tr.Requests - tr.Success
	}
	authorize := func(s loginScenario) string { return s.authorize }
	form := func(s loginScenario) string { return s.form }
	consent := func(s loginScenario) string { return s.consent }
	skipped := func(s loginScenario) string { return s.skippedConsent }
	logout := func(s loginScenario) string { return s.logout }
	figure(t, "login pages: barrage's authorize successes, the app's login pages", sum(authorize, ok), st.LoginPages)
	figure(t, "logins: barrage's form successes, the app's accepted logins", sum(form, ok), st.Logins.OK)
	figure(t, "failed logins: barrage's failed form posts, the app's", sum(form, failed), st.Logins.Failed)
	figure(t, "consent pages: barrage's form successes that lead to one, the app's pages", sum(func(s loginScenario) string {
		if s.consent == "" {
			return ""
		}
		return s.form
	}, ok), st.ConsentPages)
	figure(t, "consents: barrage's consent successes, the app's accepted consents", sum(consent, ok), st.Consents.OK)
	figure(t, "failed consents: barrage's failed consent posts, the app's", sum(consent, failed), st.Consents.Failed)
	figure(t, "skipped consents: barrage's consent hops, the app's consents without a form", sum(skipped, ok), st.ConsentsSkipped)
	figure(t, "logouts: barrage's logout successes, the app's accepted logouts", sum(logout, ok), st.Logouts.OK)
	figure(t, "failed logouts: barrage's failed logouts, the app's", sum(logout, failed), st.Logouts.Failed)

	all := h.Grants()
	for _, s := range scenarios {
		grants := grantsOf(all, s.client, "")
		if s.token == "" {
			continue
		}
		code := grantsOf(grants, "", "authorization_code")
		figure(t, fmt.Sprintf("%s: code exchanges: barrage's %s successes, hydra's 200 answers", s.name, s.token),
			passes(rep, s, s.token), int64(len(code.answered(200))))
		if s.refresh == "" {
			continue
		}
		refresh := grantsOf(grants, "", "refresh_token")
		figure(t, fmt.Sprintf("%s: refreshes: barrage's %s successes, hydra's 200 answers", s.name, s.refresh),
			step(rep, s.name, s.refresh).Success, int64(len(refresh.answered(200)))) // one request a refresh
		if s.logout == "" {
			continue
		}
		refused := refresh.refused()
		figure(t, fmt.Sprintf("%s: refreshes after logout: barrage's %s successes, hydra's refusals", s.name, s.logout),
			passes(rep, s, s.logout), int64(len(refused)))
		if s.verify != "" {
			var refusals int64 // a refused refresh passes the step, but the report counts 2xx/3xx as successes
			for code, n := range step(rep, s.name, s.verify).StatusCodes {
				if strings.HasPrefix(code, "4") {
					refusals += n
				}
			}
			figure(t, fmt.Sprintf("%s: verifications: barrage's %s answered 4xx, hydra's refused refreshes", s.name, s.verify),
				refusals, int64(len(refused)))
		}
		checkRevoked(t, h, grants)
	}
}

// checkRevoked fails t unless each refresh hydra refused presented a live
// token, one hydra issued and no earlier grant presented (so logout, not
// rotation, ended it), and no refresh token hydra issued is still active.
func checkRevoked(t *testing.T, h *Hydra, grants grantLog) {
	t.Helper()
	issued, presented := map[string]bool{}, map[string]bool{}
	for _, g := range grants {
		if g.Type == "refresh_token" && g.Status != 200 {
			switch {
			case !issued[g.Presented]:
				t.Errorf("a refused refresh presented a token hydra did not issue (%s: %s)", g.Error, g.Presented)
			case presented[g.Presented]:
				t.Errorf("a refused refresh presented a token already used (%s): rotation, not logout, ended it", g.Error)
			}
		}
		presented[g.Presented] = true
		if g.RefreshToken != "" {
			issued[g.RefreshToken] = true
		}
	}
	active := 0
	for _, tok := range slices.Sorted(maps.Keys(issued)) {
		if h.Introspect(t, tok).Active {
			active++
		}
	}
	t.Logf("refresh tokens hydra issued: %d, still active after the run: %d", len(issued), active)
	if active > 0 || len(issued) == 0 {
		t.Errorf("%d of the %d refresh tokens hydra issued are still active after logout; want none, of some", active, len(issued))
	}
}

// detail counts the failures the report gives as what (such as
// logout_not_effective): the error details naming it, else the error
// messages, else the error classes of the scenario's targets. It also
// returns where it looked, for failure messages.
func detail(rep *events.Report, scenario, what string) (int64, string) {
	var n int64
	for k, v := range rep.ErrorDetails {
		if strings.Contains(k, what) {
			n += v
		}
	}
	if n > 0 {
		return n, "error_details"
	}
	for _, msgs := range rep.ErrorMessages {
		for _, m := range msgs {
			if strings.Contains(m.Message, what) {
				n += m.Count
			}
		}
	}
	if n > 0 {
		return n, "error_messages"
	}
	for _, tr := range rep.Targets {
		for k, v := range tr.ErrorDetails {
			if tr.Group == scenario && strings.Contains(k, what) {
				n += v
			}
		}
	}
	if n > 0 {
		return n, scenario + "'s targets' error_details"
	}
	for _, tr := range rep.Targets {
		if tr.Group == scenario {
			n += tr.Errors[what]
		}
	}
	return n, fmt.Sprintf("error_details %v, error_messages %v, %s's iteration errors %v", rep.ErrorDetails,
		rep.ErrorMessages, scenario, step(rep, scenario, "").Errors)
}

// grantLog is what the tap saw at hydra's token endpoint.
type grantLog []TokenGrant

// grantsOf keeps the grants of client ("": any) and grant type ("": any).
func grantsOf(all []TokenGrant, client, grantType string) grantLog {
	var out grantLog
	for _, g := range all {
		if (client == "" || g.ClientID == client) && (grantType == "" || g.Type == grantType) {
			out = append(out, g)
		}
	}
	return out
}

// answered keeps the grants hydra answered with status.
func (l grantLog) answered(status int) grantLog {
	return slices.DeleteFunc(slices.Clone(l), func(g TokenGrant) bool { return g.Status != status })
}

// refused keeps the grants hydra did not answer with 200.
func (l grantLog) refused() grantLog {
	return slices.DeleteFunc(slices.Clone(l), func(g TokenGrant) bool { return g.Status == 200 })
}

// previous returns the step before name in flowSteps ("" for the first).
func previous(name string) string {
	for i, st := range flowSteps {
		if st == name && i > 0 {
			return flowSteps[i-1]
		}
	}
	return ""
}
