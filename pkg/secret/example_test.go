package secret_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/barrage-load/barrage/pkg/secret"
)

// A worker resolves the references of its shard, uses the values, and
// passes anything it prints through the Resolver's Redactor.
func Example() {
	dir, _ := os.MkdirTemp("", "secret")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "kc.json")
	os.WriteFile(path, []byte(`{"client_id":"barrage","client_secret":"s3cr3t-from-file"}`+"\n"), 0o600)

	r := secret.NewResolver()
	ctx := context.Background()
	id, _ := r.Resolve(ctx, "file:"+path+"#client_id")
	sec, err := r.Resolve(ctx, "file:"+path+"#client_secret")
	if err != nil {
		fmt.Println(err)
		return
	}
	body := "grant_type=client_credentials&client_id=" + id + "&client_secret=" + sec

	red := r.Redactor()
	fmt.Println(red.String("sending " + body))
	fmt.Println(red.Header(http.Header{"Authorization": {"Bearer eyJhbGciOi.x.y"}}).Get("Authorization"))
	fmt.Println(string(red.Body("application/json", []byte(`{"access_token":"eyJhbGciOi.x.y","expires_in":300}`))))
	_, err = r.Resolve(ctx, "env:BARRAGE_EXAMPLE_UNSET")
	fmt.Println(err, errors.Is(err, secret.ErrNotFound))
	// Output:
	// sending grant_type=client_credentials&client_id=[REDACTED]&client_secret=[REDACTED]
	// Bearer [REDACTED]
	// {"access_token":"[REDACTED]","expires_in":300}
	// resolve env:BARRAGE_EXAMPLE_UNSET: not found: variable is not set true
}

// Check validates a reference where a spec is read, without resolving it;
// a string with no known scheme is never taken for a literal.
func ExampleCheck() {
	for _, ref := range []string{
		"secretsmanager:arn:aws:secretsmanager:eu-west-1:1:secret:kc#client_secret",
		"ssm:/barrage/kc/password",
		"hunter2",
		"env:",
	} {
		fmt.Println(secret.Check(ref))
	}
	// Output:
	// <nil>
	// <nil>
	// bad secret reference: no known scheme (want env:, file:, ssm:, secretsmanager:)
	// bad secret reference "env:": empty variable name
}

func ExampleParse() {
	r, _ := secret.Parse("secretsmanager:arn:aws:secretsmanager:eu-west-1:1:secret:kc#client_secret")
	fmt.Println(r.Kind)
	fmt.Println(r.Name)
	fmt.Println(r.Field)
	// Output:
	// secretsmanager
	// arn:aws:secretsmanager:eu-west-1:1:secret:kc
	// client_secret
}

// A main gives its Resolvers a Source for each kind of reference it can
// read besides env: and file: (on AWS, awssecret's for ssm: and
// secretsmanager:; here a stand-in).
func ExampleWithSources() {
	ssm := secret.SourceFunc(func(_ context.Context, name string) (string, error) {
		if name == "/barrage/kc" {
			return `{"client_secret":"s3cr3t-from-ssm"}`, nil
		}
		return "", secret.ErrNotFound
	})
	r := secret.NewResolver(secret.WithSources(secret.Sources{secret.KindSSM: ssm}))
	v, _ := r.Resolve(context.Background(), "ssm:/barrage/kc#client_secret")
	fmt.Println(v)
	_, err := r.Resolve(context.Background(), "secretsmanager:kc")
	fmt.Println(err)
	// Output:
	// s3cr3t-from-ssm
	// resolve secretsmanager:kc: no source reads this kind of reference here (secretsmanager:)
}
