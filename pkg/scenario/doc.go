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
