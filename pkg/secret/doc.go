// Package secret resolves references to secrets (client secrets,
// passwords) on the worker at run time, and hides resolved values and
// credentials in text meant for people.
//
// # References
//
// A spec never holds a secret: it holds a reference, which Parse reads and
// Check validates. A reference is SCHEME:NAME with an optional #FIELD:
//
//	env:NAME               environment variable NAME of the worker
//	file:PATH              content of the file PATH, less one trailing newline
//	ssm:/path/name         SSM Parameter Store parameter, decrypted
//	secretsmanager:ID      SecretString of the Secrets Manager secret ID (name or ARN)
//
// #FIELD, on any kind, reads the secret as a JSON object and picks its
// top-level string field FIELD, as in
// secretsmanager:arn:aws:secretsmanager:eu-west-1:1:secret:kc#client_secret.
// Only the text before the first colon is the scheme; ARNs keep their
// colons. A string with no known scheme is rejected, never taken as a
// literal: a spec offers literals in a field of their own.
//
// A parameter or secret named by ARN is fetched from the ARN's region; one
// named by name, from the region of the AWS configuration.
//
// # Resolving
//
// A Resolver fetches each secret once, shares a fetch among concurrent
// callers, and keeps values for its own life. It reads each kind of
// reference with a Source: env: and file: are built in; ssm: and
// secretsmanager: are package awssecret's, which the mains pass with
// WithSources (pkg/awsenv builds them from the process's AWS
// configuration, loaded when the first such reference is read), so that
// this package and its users (pkg/journey, pkg/worker) link no AWS SDK. A
// reference of a kind without a Source fails with ErrNoSource.
//
// Errors name the reference and what went wrong, and never the value, nor
// any part of an answer that might hold it.
//
// # Redacting
//
// A Redactor learns every value its Resolver returns and replaces it,
// wherever it occurs, with [REDACTED] (values under MinRedactLen bytes
// excepted; see there). Header, Body and URL also hide what carries a
// credential by its name: Authorization and cookie headers, token,
// password and code fields of JSON and form bodies, tokens in redirect
// URLs. Anything written for people that might hold a secret (debug dumps
// of requests and responses, error messages from outside the engine)
// passes through the Redactor; the shard messages, results and reports
// hold references only.
package secret
