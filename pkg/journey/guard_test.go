package journey

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/internal/guardtest"
	"github.com/barrage-load/barrage/pkg/hostguard"
)

// TestPrepareChecksDiscovery: in the worker, before the first request of
// a flow, every endpoint the issuer's discovery document returns must be
// on the allow-list, and discovery itself follows no redirect to another
// host; otherwise Prepare fails (the shard fails the flow, with why) and
// the other host accepts nothing. A spec can reach the worker without the
// submit path's check: a discovery document that changed since, or one
// the API could not fetch.
func TestPrepareChecksDiscovery(t *testing.T) {
	evil := guardtest.Listen(t, "127.0.0.2")
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		self := "http://" + r.Host
		switch {
		case strings.HasPrefix(r.URL.Path, "/moved/"):
			http.Redirect(w, r, evil.URL+"/.well-known/openid-configuration", http.StatusFound)
		case strings.HasPrefix(r.URL.Path, "/token-elsewhere/"):
			fmt.Fprintf(w, `{"token_endpoint": %q, "userinfo_endpoint": %q}`, evil.URL+"/token", self+"/userinfo")
		case strings.HasPrefix(r.URL.Path, "/userinfo-elsewhere/"):
			fmt.Fprintf(w, `{"token_endpoint": %q, "userinfo_endpoint": %q}`, self+"/token", evil.URL+"/userinfo")
		default:
			fmt.Fprintf(w, `{"token_endpoint": %q, "jwks_uri": %q, "mtls_endpoint_aliases": {"token_endpoint": %q}}`,
				self+"/token", self+"/certs", self+"/mtls/token")
		}
	}))
	t.Cleanup(idp.Close)
	guard := hostguard.Guard{Allow: [][]string{{"127.0.0.1"}}}
	for _, tt := range []struct {
		issuer, want string // want "" prepares
	}{
		{idp.URL + "/token-elsewhere", `token_endpoint ` + evil.URL + `/token: host "127.0.0.2" is not on the allow-list`},
		{idp.URL + "/userinfo-elsewhere", `userinfo_endpoint ` + evil.URL + `/userinfo: host "127.0.0.2" is not on the allow-list`},
		{idp.URL + "/moved", `host "127.0.0.2" is not on the allow-list`},
		{evil.URL + "/realms/x", `host "127.0.0.2" is not on the allow-list`},
		{idp.URL + "/fine", ""},
	} {
		j, err := Compile(events.Scenario{Name: "cc", Flow: &events.Flow{Grant: events.GrantClientCredentials, Issuer: tt.issuer, ClientID: "c"}},
			Options{Guard: guard})
		if err != nil {
			t.Fatal(err)
		}
		err = j.Prepare(context.Background())
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v; want it prepared", tt.issuer, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: %v; want an error containing %q", tt.issuer, err, tt.want)
		}
	}
	if n := evil.Accepts.Load(); n != 0 {
		t.Errorf("the host off the allow-list accepted %d connections; want 0", n)
	}
}
