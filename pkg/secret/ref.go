package secret

import (
	"errors"
	"fmt"
	"strings"
)

// Kind is where a secret is kept: the scheme of its reference.
type Kind string

// The kinds of reference, by scheme.
const (
	// KindEnv is an environment variable of the worker: env:NAME.
	KindEnv Kind = "env"
	// KindFile is the content of a file on the worker, less one trailing
	// newline: file:PATH.
	KindFile Kind = "file"
	// KindSSM is a Systems Manager Parameter Store parameter, decrypted if it
	// is a SecureString: ssm:/path/name, or ssm:ARN.
	KindSSM Kind = "ssm"
	// KindSecretsManager is the SecretString of a Secrets Manager secret:
	// secretsmanager:NAME or secretsmanager:ARN.
	KindSecretsManager Kind = "secretsmanager"
)

// kinds lists the schemes Parse knows, in the order errors name them.
var kinds = []Kind{KindEnv, KindFile, KindSSM, KindSecretsManager}

// Errors of Parse, Check and Resolve, compared with errors.Is.
var (
	// ErrBadRef is a reference Parse rejects.
	ErrBadRef = errors.New("bad secret reference")
	// ErrNotFound is a reference to a secret that does not exist: an unset
	// variable, a missing file, parameter or secret, or a missing field.
	ErrNotFound = errors.New("not found")
)

// Ref is a parsed secret reference. It names a secret and never holds one,
// so it may be logged, stored in a spec and sent to workers.
type Ref struct {
	// Kind is the scheme: where the secret is kept.
	Kind Kind
	// Name is what follows the scheme, less any #field: the variable name,
	// the file path, the parameter name or ARN, or the secret name or ARN.
	Name string
	// Field, when set, picks a top-level string field of the secret, which
	// must then be a JSON object.
	Field string
}

// String returns the reference in the form Parse reads.
func (r Ref) String() string {
	s := string(r.Kind) + ":" + r.Name
	if r.Field != "" {
		s += "#" + r.Field
	}
	return s
}

// source is the secret a Ref names, without its field: what a Resolver
// fetches and caches once, however many fields are read from it.
func (r Ref) source() Ref { return Ref{Kind: r.Kind, Name: r.Name} }

// Parse reads a secret reference, SCHEME:NAME[#FIELD]:
//
//	env:KC_CLIENT_SECRET
//	file:/run/secrets/kc.json#client_secret
//	ssm:/barrage/keycloak/password
//	secretsmanager:arn:aws:secretsmanager:eu-west-1:1:secret:kc#client_secret
//
// Only the text before the first colon selects the kind, so names and ARNs
// may hold colons (as ARNs and SSM version selectors such as /p:3 do). The
// text after the first '#' is the field; names with '#' in them cannot be
// referenced (no environment variable, parameter or secret name may hold
// one; rename such a file). Schemes are lower case.
//
// A string without one of the four schemes is an error, not a literal: a
// spec that means a literal says so in a separate field, so that a typo in
// a reference (evn:X, ssm/x) fails validation instead of being sent as the
// password. Because such a string may itself be a secret pasted into the
// wrong field, errors of Parse never quote its input unless the scheme is
// known; past a known scheme the input is a name, not a secret.
func Parse(ref string) (Ref, error) {
	scheme, rest, ok := strings.Cut(ref, ":")
	kind := Kind(scheme)
	if !ok || !known(kind) {
		return Ref{}, fmt.Errorf("%w: no known scheme (want %s)", ErrBadRef, schemes())
	}
	name, field, hasField := strings.Cut(rest, "#")
	r := Ref{Kind: kind, Name: name, Field: field}
	switch {
	case name == "":
		return Ref{}, fmt.Errorf("%w %q: empty %s", ErrBadRef, ref, nameOf(kind))
	case hasField && field == "":
		return Ref{}, fmt.Errorf("%w %q: empty field after '#'", ErrBadRef, ref)
	case hasControl(ref):
		return Ref{}, fmt.Errorf("%w %q: control character", ErrBadRef, ref)
	case strings.TrimSpace(name) != name || strings.TrimSpace(field) != field:
		return Ref{}, fmt.Errorf("%w %q: leading or trailing space", ErrBadRef, ref)
	case kind == KindEnv && strings.ContainsRune(name, '='):
		return Ref{}, fmt.Errorf("%w %q: '=' in a variable name", ErrBadRef, ref)
	}
	return r, nil
}

// Check reports whether ref is a reference Parse accepts, for spec
// validation; its error names the problem and never holds a secret.
func Check(ref string) error {
	_, err := Parse(ref)
	return err
}

func known(k Kind) bool {
	for _, c := range kinds {
		if k == c {
			return true
		}
	}
	return false
}

func schemes() string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k) + ":"
	}
	return strings.Join(s, ", ")
}

// nameOf names what the Name of a kind is, for error messages.
func nameOf(k Kind) string {
	switch k {
	case KindEnv:
		return "variable name"
	case KindFile:
		return "path"
	case KindSSM:
		return "parameter name"
	}
	return "secret name"
}

func hasControl(s string) bool {
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}
