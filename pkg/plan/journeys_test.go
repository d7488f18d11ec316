package plan

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/barrage-load/barrage/events"
)

// TestJourneyCost: a mix of a plain target (weight 2) and a password-login
// scenario (weight 2: login, 8 refreshes 15 s apart, logout; a new https
// connection per iteration) holds slots, spends CPU and opens connections
// as the formulas of journeys.go say; and the planner needs workers for
// the descriptors the iterations hold.
func TestJourneyCost(t *testing.T) {
	spec := events.RunSpec{
		Targets: []events.Target{{URL: "http://a.example.com/", Weight: 2}},
		Scenarios: []events.Scenario{{Name: "login", Weight: 2, Flow: &events.Flow{Grant: events.GrantPassword,
			Issuer: "https://idp.example.com/realms/r", ClientID: "c", Refreshes: 8,
			Think: events.Duration(15 * time.Second), Logout: events.Logout{Enabled: true}}}},
	}
	c := journeyCost(spec, CapKeepAlive, false)
	// The scenario: 10 requests, 8·15 s + 15 s of think time, 1 host.
	wantHold := (2*0.25 + 2*(10*0.25+135)) / 4
	wantCap := 4 / (2.0/CapKeepAlive + 2*10.0/CapTLSConn)
	if math.Abs(c.hold-wantHold) > 1e-9 || math.Abs(c.capacity-wantCap) > 1e-9 || c.conns != 0.5 {
		t.Errorf("cost %+v, want hold %v, capacity %v, 0.5 connections per arrival", *c, wantHold, wantCap)
	}
	if !strings.Contains(c.traffic, "5.5 requests per arrival") {
		t.Errorf("traffic %q", c.traffic)
	}
	if journeyCost(events.RunSpec{Targets: spec.Targets}, CapKeepAlive, false) != nil {
		t.Error("a cost for a spec without scenarios")
	}
	spec.Load = events.Load{Rate: 100}
	spec.Duration = events.Duration(10 * time.Minute)
	p, err := Make(spec.WithDefaults(), Options{RunID: "r", Backend: BackendAWS, Now: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	// 100/s × 69 s held ÷ (80 % of 1,024 descriptors) = 9 workers.
	if len(p.Shards) != 9 {
		t.Errorf("%d shards, want 9 for the descriptors the iterations hold; reasons %v", len(p.Shards), p.Reasons)
	}
	if per := float64(p.Shards[0].MaxInflight); per < 100.0/9*wantHold {
		t.Errorf("in flight ≤ %v per shard, below the %v its iterations hold", per, 100.0/9*wantHold)
	}
}
