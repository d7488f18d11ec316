package scenario_test

import (
	"fmt"
	"net/http"

	"github.com/barrage-load/barrage/pkg/scenario"
)

// A Keycloak password grant: users from a dataset, a form-encoded body, the
// access token extracted for the next step's Authorization header.
func Example() {
	// When the spec is loaded: declare, compile, validate.
	names := new(scenario.Names)
	users, err := scenario.Bind(scenario.Users{Count: 1000, Start: 1}, names)
	if err != nil {
		fmt.Println(err)
		return
	}
	token, err := scenario.CompileExtractor(scenario.ExtractorSpec{
		Var: "token", From: scenario.FromJSON, Expr: "$.access_token",
	}, names)
	if err != nil {
		fmt.Println(err)
		return
	}
	body, err := scenario.Compile("grant_type=password&client_id=barrage"+
		"&username={{ username | urlencode }}&password={{ password | urlencode }}", names)
	if err != nil {
		fmt.Println(err)
		return
	}
	auth, err := scenario.Compile("Bearer {{token}}", names)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = scenario.Compile("{{usrname}}", names)
	fmt.Println(err)

	// Per iteration: a reused Vars, the row of the arrival, render, extract.
	v := scenario.NewVars(names)
	var buf []byte
	for arrival := int64(41); arrival < 43; arrival++ {
		v.Reset()
		users.Load(v, arrival)
		buf = body.Append(buf[:0], v)
		fmt.Printf("POST /token %s\n", buf)

		resp := &scenario.Response{
			Status: http.StatusOK,
			Header: http.Header{"Content-Type": {"application/json"}},
			Body:   []byte(`{"access_token":"eyJ.x` + fmt.Sprint(arrival) + `.sig","expires_in":300}`),
		}
		if err := token.Apply(resp, v); err != nil {
			fmt.Println(err)
			continue
		}
		buf = auth.Append(buf[:0], v)
		fmt.Printf("Authorization: %s\n", buf)
	}
	// Output:
	// template "{{usrname}}": byte 2: unknown variable "usrname" (did you mean "username"?)
	// POST /token grant_type=password&client_id=barrage&username=user-42&password=pass-42
	// Authorization: Bearer eyJ.x41.sig
	// POST /token grant_type=password&client_id=barrage&username=user-43&password=pass-43
	// Authorization: Bearer eyJ.x42.sig
}
