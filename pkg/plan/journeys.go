package plan

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/barrage-load/barrage/events"
)

// A scenario's arrival is an iteration of several requests and think
// times, which holds an in-flight slot, and with it a connection and a file
// descriptor, for the whole iteration: the planner sizes journeys by what
// an average arrival costs rather than by one request.
//
//	hold   = Σ_targets w·LatencyBudget + Σ_scenarios w·(steps·LatencyBudget + Σ think·repeats)  over Σ w
//	cost   = Σ w·(requests per arrival)/(capacity per vCPU of its traffic)                     over Σ w
//	conns  = Σ w·(new connections per arrival)                                                  over Σ w
//
// A scenario's steps go through net/http on a new connection per iteration
// (connection: iteration, the default), planned at CapNewConn (CapTLSConn
// over https) per vCPU; with connection: shared at CapKeepAlive.
type arrivalCost struct {
	hold     float64 // seconds an arrival holds a slot
	capacity float64 // arrivals per second per vCPU
	conns    float64 // new connections per arrival
	traffic  string
}

// journeyCost is nil when the spec has no scenarios.
func journeyCost(spec events.RunSpec, targetCap float64, newConn bool) *arrivalCost {
	if len(spec.Scenarios) == 0 {
		return nil
	}
	var wsum, hold, cost, conns, reqs float64
	budget := LatencyBudget.Seconds()
	for _, t := range spec.Targets {
		w := float64(max(t.Weight, 1))
		wsum += w
		hold += w * budget
		cost += w / targetCap
		reqs += w
		if newConn {
			conns += w
		}
	}
	for _, sc := range spec.Scenarios {
		w := float64(max(sc.Weight, 1))
		steps, think, hosts, tls := scenarioShape(sc)
		capacity := float64(CapNewConn)
		switch {
		case sc.Connection == events.ConnectionShared:
			capacity = CapKeepAlive
		case tls:
			capacity = CapTLSConn
		}
		wsum += w
		hold += w * (float64(steps)*budget + think)
		reqs += w * float64(steps)
		cost += w * float64(steps) / capacity
		if sc.Connection != events.ConnectionShared {
			conns += w * float64(hosts)
		}
	}
	return &arrivalCost{hold: hold / wsum, capacity: wsum / cost, conns: conns / wsum,
		traffic: fmt.Sprintf("scenario iterations (%.1f requests per arrival on average)", reqs/wsum)}
}

// scenarioShape counts a scenario's requests per iteration, its think
// time in seconds, the hosts it connects to (at least 1) and whether any is
// over TLS. A built-in flow counts as the steps it generates.
func scenarioShape(sc events.Scenario) (steps int, think float64, hosts int, tls bool) {
	seen := map[string]bool{}
	host := func(raw string) {
		if u, err := url.Parse(raw); err == nil && u.Host != "" && !strings.Contains(u.Host, "{{") {
			seen[u.Host] = true
			tls = tls || u.Scheme == "https"
		}
	}
	if f := sc.Flow; f != nil {
		host(f.Issuer)
		switch f.Grant {
		case events.GrantClientCredentials:
			steps = 1
		case events.GrantPassword:
			steps = 1
		case events.GrantAuthorizationCode:
			// The login page, the form's post and the code exchange, and
			// the redirects between them: 3 requests on Keycloak, 5 on
			// zitadel's example, 8 on hydra with its consent page.
			steps = 5
		}
		steps += f.Refreshes
		if f.Logout.Enabled {
			steps++
		}
		if f.Logout.Verify {
			steps++
		}
		think = float64(f.Refreshes) * f.Think.D().Seconds()
		if f.Refreshes > 0 {
			think += f.Think.D().Seconds()
		}
	}
	for _, st := range sc.Steps {
		n := max(st.Repeat, 1)
		steps += n
		think += float64(n) * st.Think.D().Seconds()
		host(st.URL)
	}
	return steps, think, max(len(seen), 1), tls
}
