// Package targets reads request templates written in vegeta's HTTP targets
// format into events.Target values, for the --targets flag.
//
// A target is a request line, METHOD URL, then any header lines, Name: value,
// then an optional body line, @path/to/body. A blank line ends a target; so
// does a request line whose method is upper-case letters, as in vegeta. Lines
// starting with # are comments. Leading and trailing spaces on a line are
// ignored, so CRLF files read like LF files.
//
//	# the token endpoint
//	POST https://id.example.com/realms/x/protocol/openid-connect/token
//	Content-Type: application/x-www-form-urlencoded
//	@token-form.txt
//
//	GET https://api.example.com/things?page=1
//	Authorization: Bearer abc
//	Accept: application/json
//	Accept: text/plain
//
// A header given twice, in any letter case, is sent once with its values joined
// by ", " under the first spelling. Bodies are read through a function the
// caller provides; ParseFile reads them relative to the targets file. Bodies
// travel in JSON strings, so they must be UTF-8 text.
//
// Every problem is an *Error naming the file and line, such as
//
//	targets.txt:4: header line "Accept application/json" has no colon (want Name: value)
//
// Target names are left empty: events.RunSpec.WithDefaults names each
// target "METHOD URL".
package targets
