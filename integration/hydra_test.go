//go:build integration

package integration

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/barrage-load/barrage/events"
)

// TestHydra runs `barrage run` against ory/hydra with the login-and-consent
// app (StartHydra), and holds what barrage counted against the provider's
// own state: the app's logins, consents and logouts, what hydra's token
// endpoint answered (the tap), and hydra's introspection of the tokens it
// issued. Each subtest starts its own hydra; -v prints the figures.
//
// The built-in authorization_code flows (spec flow: {grant:
// authorization_code, …, logout: {verify: true}}) are written to the
// provider-neutral flows of the journey rewrite: the login page reached by
// redirects, its form found by its password input (the user field here is
// named login), a consent form, RP-initiated logout and its verification.
// Until that rewrite is merged they fail, saying how.
func TestHydra(t *testing.T) {
	bin := buildBarrage(t)
	t.Run("hand-made steps", func(t *testing.T) { testHydraHandMade(t, bin) })
	t.Run("client_credentials", func(t *testing.T) { testHydraClientCredentials(t, bin) })
	t.Run("authorization_code", func(t *testing.T) { testHydraAuthorizationCode(t, bin) })
	t.Run("logout not effective", func(t *testing.T) { testHydraLogoutNotEffective(t, bin) })
}

// hydraLoad is the load of every run: a closed loop of one iteration at
// a time for 3 s (about 10 on an idle machine, at least one on a busy
// one), each with time to finish. One at a time because hydra on SQLite
// does not take concurrent logins (see StartHydra); the counts compared
// are exact whatever their number.
const hydraLoad = `duration: 3s
load: {rate: 0}
max_inflight: 1
workers: 1
timeout: 30s
`

// hydraUsers is the login app's user table as a barrage dataset.
const hydraUsers = `{pattern: "user-{n}", password_pattern: "pass-{n}", count: 100, start: 1}`

// testHydraHandMade logs in as a browser with steps written by hand, as
// the README shows (extractors for the forms, the redirects and the code),
// on today's barrage: with a client that authenticates with HTTP Basic, and
// with the first-party client whose consent the app skips. It proves the
// harness, and that its counts are the provider's.
func testHydraHandMade(t *testing.T, bin string) {
	h := StartHydra(t, HydraOptions{})
	basic := base64.StdEncoding.EncodeToString([]byte(HydraBasicWebClient + ":" + HydraSecret(HydraBasicWebClient)))
	rep := runBarrage(t, bin, h, hydraHandMadeSpec, "HYDRA_BASIC_AUTH="+basic,
		"HYDRA_FIRST_PARTY_SECRET="+HydraSecret(HydraFirstPartyClient))
	checkSteps(t, rep, "browser", "authorize", "form", "consent", "callback", "token", "refresh", "logout",
		"logout-app", "logout-done") // and verify, whose 400s checkLogins counts
	checkSteps(t, rep, "first-party", "authorize", "form", "login-verifier", "consent", "callback", "token")
	checkLogins(t, h, rep, loginScenario{name: "browser", client: HydraBasicWebClient, authorize: "authorize",
		form: "form", consent: "consent", token: "token", refresh: "refresh", logout: "logout-app", verify: "verify"},
		loginScenario{name: "first-party", client: HydraFirstPartyClient, authorize: "authorize", form: "form",
			skippedConsent: "consent", token: "token"})
}

// hydraHandMadeSpec: a browser login as steps; each scenario's vars name
// the issuer, client_id, scope and redirect_uri its shared steps use.
var hydraHandMadeSpec = `name: hydra hand-made
` + hydraLoad + `scenarios:
  - name: browser
    weight: 2
    users: ` + hydraUsers + `
    vars:
      issuer: "$ISSUER"
      client_id: "` + HydraBasicWebClient + `"
      scope: openid offline_access
      redirect_uri: "$REDIRECT_URI"
      post_logout: "$POST_LOGOUT_REDIRECT_URI"
    secrets: {basic: "env:HYDRA_BASIC_AUTH"}
    steps:
` + hydraAuthorize + `      # the app accepts the login; hydra sends the browser on to the consent page
` + hydraLoginPost + `        follow_redirects: true
        expect: [200]
        extract:
          - {var: action, from: form, expr: "#consent-form.action"}
          - {var: challenge, from: form, expr: challenge}
          - {var: csrf, from: form, expr: csrf}
      - name: consent
        method: POST
        url: "{{action}}"
        form: {challenge: "{{challenge}}", csrf: "{{csrf}}", action: approve}
        expect: [302]
        extract: [{var: next, from: header, expr: Location}]
      # hydra's answer to the consent verifier: the redirect_uri (never served) with the code
` + hydraHop("callback", "code") + `      - name: token
        method: POST
        url: "{{issuer}}/oauth2/token"
        headers: {Authorization: "Basic {{basic}}"}
        form: {grant_type: authorization_code, code: "{{code}}", redirect_uri: "{{redirect_uri}}", code_verifier: "{{pkce_verifier}}"}
        expect: [200]
        extract:
          - {var: refresh_token, from: json, expr: $.refresh_token}
          - {var: id_token, from: json, expr: $.id_token}
` + hydraRefresh("refresh", false) + `        repeat: 2
      # RP-initiated logout: hydra sends the browser to the logout app, which
      # accepts, back to hydra, which ends the session and sends it to
      # post_logout_redirect_uri (never served)
      - name: logout
        url: "{{issuer}}/oauth2/sessions/logout?id_token_hint={{id_token}}&post_logout_redirect_uri={{post_logout | urlencode}}&state={{state}}"
        expect: [302]
        extract: [{var: next, from: header, expr: Location}]
` + hydraHop("logout-app", "") + hydraHop("logout-done", "") + `      # the session's refresh token no longer works
` + hydraRefresh("verify", true) + `  - name: first-party
    weight: 1
    users: ` + hydraUsers + `
    vars:
      issuer: "$ISSUER"
      client_id: "` + HydraFirstPartyClient + `"
      scope: openid
      redirect_uri: "$REDIRECT_URI"
    secrets: {client_secret: "env:HYDRA_FIRST_PARTY_SECRET"}
    steps:
` + hydraAuthorize + `      # hop by hop: the login app, hydra, the consent app (no form: the
      # client skips consent), hydra, and the redirect_uri with the code
` + hydraLoginPost + `        expect: [302]
        extract: [{var: next, from: header, expr: Location}]
` + hydraHop("login-verifier", "") + hydraHop("consent", "") + hydraHop("callback", "code") + `      - name: token
        method: POST
        url: "{{issuer}}/oauth2/token"
        form: {grant_type: authorization_code, code: "{{code}}", redirect_uri: "{{redirect_uri}}", code_verifier: "{{pkce_verifier}}", client_id: "{{client_id}}", client_secret: "{{client_secret}}"}
        expect: [200]
`

// hydraAuthorize is the authorization request with PKCE, whose redirects
// lead to the login page; it reads the login form.
const hydraAuthorize = `      - name: authorize
        url: "{{issuer}}/oauth2/auth?response_type=code&client_id={{client_id}}&redirect_uri={{redirect_uri | urlencode}}&scope={{scope | urlencode}}&state={{state}}&nonce={{nonce}}&code_challenge={{pkce_challenge}}&code_challenge_method=S256"
        follow_redirects: true
        expect: [200]
        extract:
          - {var: action, from: form, expr: "#login-form.action"}
          - {var: challenge, from: form, expr: challenge}
          - {var: csrf, from: form, expr: csrf}
`

// hydraLoginPost posts the login form hydraAuthorize read, with the user
// in the input named login.
const hydraLoginPost = `      - name: form
        method: POST
        url: "{{action}}"
        form: {challenge: "{{challenge}}", csrf: "{{csrf}}", login: "{{username}}", password: "{{password}}"}
`

// hydraHop is a step that goes where the last answer redirected ({{next}})
// and expects a redirect on, to {{next}} again, and with param, a query
// parameter of it into the variable of that name.
func hydraHop(name, param string) string {
	s := `      - name: ` + name + `
        url: "{{next}}"
        expect: [302, 303]
        extract:
          - {var: next, from: header, expr: Location}
`
	if param != "" {
		s += `          - {var: ` + param + `, from: query, expr: ` + param + `}
`
	}
	return s
}

// hydraRefresh is a refresh_token grant of the browser scenario's client
// (HTTP Basic) that expects 200 and keeps the new refresh token, or with
// refused, expects hydra to refuse it.
func hydraRefresh(name string, refused bool) string {
	s := `      - name: ` + name + `
        method: POST
        url: "{{issuer}}/oauth2/token"
        headers: {Authorization: "Basic {{basic}}"}
        form: {grant_type: refresh_token, refresh_token: "{{refresh_token}}"}
`
	if refused {
		return s + `        expect: [400, 401]
`
	}
	return s + `        expect: [200]
        extract: [{var: refresh_token, from: json, expr: $.refresh_token}]
`
}

// testHydraClientCredentials runs the built-in client_credentials flow:
// every token barrage counts, hydra issued, and it is active.
func testHydraClientCredentials(t *testing.T, bin string) {
	h := StartHydra(t, HydraOptions{})
	rep := runBarrage(t, bin, h, `name: hydra client_credentials
`+hydraLoad+`scenarios:
  - name: service
    flow:
      grant: client_credentials
      issuer: "$ISSUER"
      client_id: `+HydraServiceClient+`
      client_secret: "env:HYDRA_SERVICE_SECRET"
      scope: `+HydraServiceScope+`
`, "HYDRA_SERVICE_SECRET="+HydraSecret(HydraServiceClient))
	checkSteps(t, rep, "service", "token")
	grants := grantsOf(h.Grants(), HydraServiceClient, "client_credentials")
	ok := grants.answered(200)
	figure(t, "client_credentials tokens: barrage's service/token successes, hydra's 200 answers",
		step(rep, "service", "token").Success, int64(len(ok)))
	if refused := grants.refused(); len(refused) > 0 {
		t.Errorf("hydra refused %d of %d client_credentials requests: %v", len(refused), len(grants), refused[0].Error)
	}
	active := 0
	for _, g := range ok {
		if in := h.Introspect(t, g.AccessToken); in.Active && in.ClientID == HydraServiceClient && in.Scope == HydraServiceScope {
			active++
		} else {
			t.Errorf("an access token hydra issued to %s introspects %+v; want active, client %s, scope %s",
				HydraServiceClient, in, HydraServiceClient, HydraServiceScope)
		}
	}
	t.Logf("access tokens active at hydra after the run: %d of %d", active, len(ok))
}

// testHydraAuthorizationCode runs the built-in authorization_code flow
// with PKCE, 2 refreshes and RP-initiated logout verified by a refresh.
func testHydraAuthorizationCode(t *testing.T, bin string) {
	h := StartHydra(t, HydraOptions{})
	rep := runBarrage(t, bin, h, hydraFlowSpec("hydra authorization_code", 2), "HYDRA_WEB_SECRET="+HydraSecret(HydraWebClient))
	checkSteps(t, rep, "login", flowSteps...)
	checkLogins(t, h, rep, loginScenario{name: "login", client: HydraWebClient, authorize: "login/authorize", form: "login/form",
		consent: "login/consent", token: "login/token", refresh: "refresh", logout: "logout", chain: true})
	if n, where := detail(rep, "login", "logout_not_effective"); n != 0 {
		t.Errorf("barrage reported logout_not_effective %d times (%s); hydra revoked the tokens at each logout", n, where)
	}
}

// testHydraLogoutNotEffective runs the same flow against a logout that
// ends hydra's login session but leaves its tokens valid, as hydra alone
// does: barrage's verification must say so (logout_not_effective), as
// often as hydra kept a session's refresh token active.
func testHydraLogoutNotEffective(t *testing.T, bin string) {
	h := StartHydra(t, HydraOptions{KeepTokensOnLogout: true})
	spec := strings.Replace(hydraFlowSpec("hydra logout not effective", 1), "scenarios:", "expect_failures: true\nscenarios:", 1)
	rep := runBarrage(t, bin, h, spec, "HYDRA_WEB_SECRET="+HydraSecret(HydraWebClient))
	st := h.Stats()
	figure(t, "logouts: barrage's logouts passed, the app's accepted", passes(rep, loginScenario{name: "login", chain: true}, "logout"), st.Logouts.OK)
	if st.Logouts.OK == 0 {
		t.Fatal("no logout reached the app: nothing to verify")
	}
	n, where := detail(rep, "login", "logout_not_effective")
	figure(t, "ineffective logouts: barrage's logout_not_effective ("+where+"), the app's accepted logouts", n, st.Logouts.OK)
	active := 0
	for _, g := range grantsOf(h.Grants(), HydraWebClient, "").answered(200) {
		if g.RefreshToken != "" && h.Introspect(t, g.RefreshToken).Active {
			active++
		}
	}
	figure(t, "sessions whose refresh token hydra still holds active after logout, logouts", int64(active), st.Logouts.OK)
	if it := step(rep, "login", ""); it.Success != 0 {
		t.Errorf("barrage counted %d of %d iterations complete; want none: each logout left its session's tokens valid",
			it.Success, it.Requests)
	}
}

// flowSteps are the steps of the built-in authorization_code flow (the
// journey rewrite's names), as the report lists them under the scenario:
// login/authorize, login/form, login/consent, login/token, …
var flowSteps = []string{"login/authorize", "login/form", "login/consent", "login/token", "refresh", "logout", "logout/verify"}

// hydraFlowSpec is a run of the built-in authorization_code flow with
// refreshes and a verified logout, in the scenario "login". It leaves the
// scope to barrage, which asks for offline_access (hydra lists it) since
// refreshes need a refresh token.
func hydraFlowSpec(name string, refreshes int) string {
	return `name: ` + name + `
` + hydraLoad + `scenarios:
  - name: login
    users: ` + hydraUsers + `
    flow:
      grant: authorization_code
      issuer: "$ISSUER"
      client_id: ` + HydraWebClient + `
      client_secret: "env:HYDRA_WEB_SECRET"
      redirect_uri: "$REDIRECT_URI"
      refreshes: ` + strconv.Itoa(refreshes) + `
      logout: {verify: true}
`
}

// runBarrage runs `barrage run` on spec, with $ISSUER, $REDIRECT_URI and
// $POST_LOGOUT_REDIRECT_URI replaced by h's, and env added to its
// environment, and returns its report. Exit status 1 (nothing succeeded, a
// threshold failed) still has a report, which the checks then read; with
// none, t fails at once. If t fails, barrage's stderr is logged: the first
// steps' requests and answers (--debug, redacted), then what it said.
func runBarrage(t *testing.T, bin string, h *Hydra, spec string, env ...string) *events.Report {
	t.Helper()
	spec = strings.NewReplacer("$ISSUER", h.Issuer, "$REDIRECT_URI", h.RedirectURI,
		"$POST_LOGOUT_REDIRECT_URI", h.PostLogoutRedirectURI).Replace(spec)
	dir := t.TempDir()
	file := filepath.Join(dir, "spec.yaml")
	if err := os.WriteFile(file, []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", file, "--out", dir, "--json", "--quiet", "--debug", "8")
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("barrage's stderr (long lines cut):\n%s\nThe spec:\n%s", clip(stderr.String(), 80, 300), spec)
		}
	})
	var rep events.Report
	if jerr := json.Unmarshal(stdout.Bytes(), &rep); jerr != nil || cmd.ProcessState.ExitCode() > 1 {
		t.Fatalf("barrage run: %v, report: %v; want exit status 0 and a report (barrage's stderr follows)", err, jerr)
	}
	t.Logf("barrage: exit status %d, %d requests, %d successes, %d dropped, errors %v %v", cmd.ProcessState.ExitCode(),
		rep.Requests, rep.Success, rep.Dropped, rep.Errors, rep.ErrorDetails)
	if err != nil {
		t.Errorf("barrage run: %v; want exit status 0 (%s)", err, strings.Join(rep.Warnings, "; "))
	}
	return &rep
}

// clip returns the last n lines of s, each cut to width bytes.
func clip(s string, n, width int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	lines = lines[max(0, len(lines)-n):]
	for i, l := range lines {
		if len(l) > width {
			lines[i] = l[:width] + "…"
		}
	}
	return strings.Join(lines, "\n")
}
