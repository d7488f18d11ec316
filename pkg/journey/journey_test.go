package journey

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/internal/journeytest"
	"github.com/barrage-load/barrage/pkg/engine"
	"github.com/barrage-load/barrage/pkg/secret"
)

// shop is a small API: POST /login (form user, pass) answers a token for
// the right password, GET /cart needs it as a bearer token. It records
// what it saw and how many connections it accepted.
type shop struct {
	*httptest.Server
	mu     sync.Mutex
	users  []string
	carts  int
	conns  int
	agents map[string]bool
}

func newShop(t *testing.T) *shop {
	s := &shop{agents: map[string]bool{}}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.agents[r.UserAgent()] = true
		switch r.URL.Path {
		case "/login":
			u, p := r.PostFormValue("user"), r.PostFormValue("pass")
			if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || p != "pw-"+strings.TrimPrefix(u, "u") {
				http.Error(w, "bad login", http.StatusUnauthorized)
				return
			}
			s.users = append(s.users, u)
			json.NewEncoder(w).Encode(map[string]any{"token": "tok-" + u, "expires_in": 300})
		case "/cart":
			if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer tok-u") || r.URL.Query().Get("region") != "eu" {
				http.Error(w, "no", http.StatusForbidden)
				return
			}
			s.carts++
		default:
			http.NotFound(w, r)
		}
	}))
	s.Config.ConnState = func(c net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.mu.Lock()
			s.conns++
			s.mu.Unlock()
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func shopScenario(url string) events.Scenario {
	return events.Scenario{Name: "shop",
		Users: &events.UsersData{Pattern: "u{n}", PasswordPattern: "pw-{n}", Count: 1000},
		Vars:  map[string]string{"region": "eu"},
		Steps: []events.ScenarioStep{
			{Name: "login", URL: url + "/login", Form: map[string]string{"user": "{{username}}", "pass": "{{password}}"},
				Expect: []int{200}, Extract: []events.Extract{{Var: "token", From: "json", Expr: "$.token"}}},
			{Name: "cart", URL: url + "/cart?region={{region}}", Header: map[string]string{"Authorization": "Bearer {{token}}"},
				Think: events.Duration(10 * time.Millisecond), Repeat: 2},
		}}
}

// TestSteps: each iteration logs in as the user of its arrival index, takes
// the token from the JSON answer, and sends it twice; every iteration is a
// new user on a new connection.
func TestSteps(t *testing.T) {
	s := newShop(t)
	j, err := Compile(shopScenario(s.URL), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(j.Steps(), ","); got != "login,cart" {
		t.Errorf("steps %s, want login,cart", got)
	}
	res := journeytest.Run(t, j, 50, time.Second)
	tg := journeytest.Targets(res)
	n := journeytest.Sent(t, tg, "shop", 50)
	if c := tg["shop"].Counts; c.Success != n {
		t.Fatalf("iterations %+v, want all successful", c)
	}
	if c := tg["shop/login"].Counts; c.Requests != n || c.Success != n {
		t.Errorf("login %+v", c)
	}
	if c := tg["shop/cart"].Counts; c.Requests != 2*n || c.Success != 2*n {
		t.Errorf("cart %+v, want 2 per iteration", c)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	for _, u := range s.users {
		if seen[u] {
			t.Errorf("user %s logged in twice: arrivals share a dataset row", u)
		}
		seen[u] = true
	}
	for u := range seen {
		var i int
		if _, err := fmt.Sscanf(u, "u%d", &i); err != nil || i < 0 || i >= 50 {
			t.Errorf("user %s is not the row of one of the 50 arrivals", u)
		}
	}
	if int64(len(seen)) != n || int64(s.carts) != 2*n || int64(s.conns) != n {
		t.Errorf("users %d, carts %d, connections %d; want %d, %d and one connection per iteration", len(seen), s.carts, s.conns, n, 2*n)
	}
	if !s.agents[engine.UserAgent] || len(s.agents) != 1 {
		t.Errorf("user agents %v", s.agents)
	}
}

// TestSharedConnections: with connection: shared, slots keep their
// connections across iterations.
func TestSharedConnections(t *testing.T) {
	s := newShop(t)
	sc := shopScenario(s.URL)
	sc.Connection = events.ConnectionShared
	j, err := Compile(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	tg := journeytest.Targets(journeytest.Run(t, j, 20, time.Second))
	if n := journeytest.Sent(t, tg, "shop", 20); tg["shop"].Counts.Success != n {
		t.Fatalf("iterations %+v", tg["shop"].Counts)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns >= 10 {
		t.Errorf("%d connections for 20 iterations sharing slots' connections", s.conns)
	}
}

// TestIterationFailures: a wrong password ends the iteration at login with
// unexpected_status; a JSON answer without the token ends it with extract;
// the later steps are not sent.
func TestIterationFailures(t *testing.T) {
	s := newShop(t)
	for _, tt := range []struct {
		name   string
		change func(*events.Scenario)
		detail string
	}{
		{"wrong password", func(sc *events.Scenario) { sc.Users.PasswordPattern = "nope" }, "unexpected_status login: 401"},
		{"missing token", func(sc *events.Scenario) { sc.Steps[0].Extract[0].Expr = "$.access_token" }, "extract login: token"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sc := shopScenario(s.URL)
			tt.change(&sc)
			j, err := Compile(sc, Options{})
			if err != nil {
				t.Fatal(err)
			}
			tg := journeytest.Targets(journeytest.Run(t, j, 20, 500*time.Millisecond))
			n := journeytest.Sent(t, tg, "shop", 10)
			if it := tg["shop"].Counts; it.Success != 0 || it.ErrorDetails[tt.detail] != n {
				t.Errorf("iterations %+v, want all failed with %q", it, tt.detail)
			}
			if n := tg["shop/cart"].Counts.Requests; n != 0 {
				t.Errorf("cart sent %d times after a failed login", n)
			}
		})
	}
}

// TestCompileErrors: problems are found before any traffic, each naming
// its field; CheckScenario reports them under the scenario's field of its
// spec, and RunSpec.Validate does not, although this package is linked in
// (pkg/prepare passes CheckScenario to ValidateWith).
func TestCompileErrors(t *testing.T) {
	sc := shopScenario("http://127.0.0.1:1")
	sc.Steps[1].Header["Authorization"] = "Bearer {{tokn}}"
	sc.Steps[0].Extract = append(sc.Steps[0].Extract, events.Extract{Var: "x", From: "xml", Expr: "//a"})
	sc.Secrets = map[string]string{"key": "vault:kv/x"}
	_, err := Compile(sc, Options{})
	if err == nil {
		t.Fatal("compiled")
	}
	for _, want := range []string{"steps[1].headers.Authorization", "tokn", "steps[0].extract[1]", "secrets.key"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	spec := events.RunSpec{Scenarios: []events.Scenario{sc}}.WithDefaults()
	verr := spec.ValidateWith(CheckScenario)
	if verr == nil || !strings.Contains(verr.Error(), "scenarios[0].steps[1].headers.Authorization") {
		t.Errorf("ValidateWith(CheckScenario): %v", verr)
	}
	if err := spec.Validate(); err != nil {
		t.Errorf("Validate: %v; want nil: it compiles nothing, whatever is linked in", err)
	}
}

// TestDebugRedacts: the debug dump shows the exchanges with the secret, the
// bearer token and the token in the JSON answer redacted.
func TestDebugRedacts(t *testing.T) {
	s := newShop(t)
	t.Setenv("SHOP_SECRET", "pw-shop-secret-9")
	sc := shopScenario(s.URL)
	sc.Secrets = map[string]string{"k": "env:SHOP_SECRET"}
	sc.Steps[0].Header = map[string]string{"X-Api-Key": "{{k}}", "X-Note": "secret={{k}}"}
	var out strings.Builder
	var mu sync.Mutex
	w := writerFunc(func(b []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(b) })
	dbg := NewDebug(w, 4, nil)
	res := secretResolver(dbg)
	j, err := Compile(sc, Options{Debug: dbg, Secrets: res})
	if err != nil {
		t.Fatal(err)
	}
	journeytest.Run(t, j, 10, 500*time.Millisecond)
	mu.Lock()
	dump := out.String()
	mu.Unlock()
	if strings.Count(dump, "--- shop/") != 4 {
		t.Errorf("dump of %d exchanges, want 4:\n%s", strings.Count(dump, "--- shop/"), dump)
	}
	for _, leak := range []string{"pw-shop-secret-9", "tok-u"} {
		if strings.Contains(dump, leak) {
			t.Errorf("dump shows %q:\n%s", leak, dump)
		}
	}
	for _, want := range []string{"> POST " + s.URL + "/login", "Authorization: Bearer [REDACTED]", `"token":"[REDACTED]"`, "X-Note: secret=[REDACTED]"} {
		if !strings.Contains(dump, want) {
			t.Errorf("dump lacks %q:\n%s", want, dump)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

func secretResolver(d *Debug) *secret.Resolver {
	return secret.NewResolver(secret.WithRedactor(d.Redactor()))
}
