// Package scenario holds the pure building blocks of virtual-user scenarios:
// templates, per-iteration variables, extractors and datasets. It sends
// nothing; a runner builds requests with it and feeds it responses.
//
// A scenario is an ordered list of HTTP steps whose method, URL, headers and
// body are templates. Their variables come from a dataset row (each iteration
// takes the row of its arrival index) and from earlier responses, through
// extractors. Everything is resolved when the spec is loaded:
//
//	names := new(scenario.Names)
//	bind, _ := scenario.Bind(users, names)              // declares username, password
//	token, _ := scenario.CompileExtractor(spec, names)  // declares spec.Var
//	body, _ := scenario.Compile("username={{username | urlencode}}", names)
//
// so that a typo in a variable, filter, JSON path or regular expression fails
// before any traffic, and so that on the hot path a variable is a slice index:
//
//	v.Reset()                         // a *Vars reused across iterations
//	bind.Load(v, arrival)
//	buf = body.Append(buf[:0], v)     // no allocation beyond growing buf
//	err := token.Apply(&resp, v)      // copies the value into v
//
// # Templates
//
// A placeholder is {{name}} or {{name | filter | …}} with the filters
// urlencode, json, base64 and base64url; {{"{{"}} writes a literal "{{". See
// Compile.
//
// # Extractors
//
// An extractor reads one value from a response: a JSON path, an RE2 regular
// expression over the body or a header (the code in a redirect's Location), a
// header, a cookie from Set-Cookie, or an HTML form's input or attribute (see
// CompileExtractor). A missing value is an error wrapping ErrNotFound unless
// the spec gives a default. The JSON extractor scans the body in place,
// without allocating, and stops at the value: see BenchmarkExtractJSON, which
// also measures encoding/json for comparison.
//
// # JSON: our scanner, not gjson
//
// The JSON extractor is hand-written (jsonpath.go, jsonscan.go) rather than
// built on github.com/tidwall/gjson, by issue 12's rule (keep it only if
// clearly faster): on Keycloak's token response, what every login and
// refresh reads, it is 2.1 to 4.6 times as fast, and it allocates nothing
// where gjson needs package unsafe not to. BenchmarkJSONValue measured both
// (medians of -count 6 on a loaded 2-core Xeon, ns/op; gjson is GetBytes,
// which copies the value, 1 alloc/op: 1.4 KB for the access token;
// gjson-nocopy is Get over the body's memory through package unsafe, 0
// allocs/op; ours, 0 allocs/op):
//
//	token response, 3.2 KB             ours  gjson  gjson-nocopy
//	access_token (1.3 KB JWT)           387   1778           888
//	expires_in                          376    986           993
//	refresh_token                       615   1710          1313
//	id_token (1 KB JWT)                 966   2960          2123
//	['not-before-policy']               968   2038          3025
//	scope (the last member)            1877   5960          6431
//	introspection, 0.8 KB
//	realm_access.roles[2]               997    804           445
//	resource_access.account.roles[1]    718    718           534
//	active (the last member)           1003    579           554
//
// The scanner skips a string's bytes eight at a time, and tokens are long
// strings; on a small document of short values gjson, which validates
// nothing, is as fast or up to twice as fast. gjson would also lose the
// extractor's errors, which say where a body is not JSON (an HTML error
// page: "invalid JSON at byte 0") or which step of the path is missing.
//
// # Login forms
//
// ParseForms reads an HTML page's forms as a browser would submit them, and
// LoginForm decides what a browser login does on a page of its chain (Pick:
// a login page, the first page of a two-step login, a consent page, or
// nothing to submit) and what it posts there (Submission: the user and the
// password filled in, every other control as served, the accepting
// button).
//
// # Datasets
//
// Users generates numbered users; CSV reads a file whose header names the
// columns. Row n goes to the iteration of arrival n (the run-wide arrival
// index), wrapping around modulo the number of rows.
package scenario
