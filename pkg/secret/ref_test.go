package secret

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		ref  string
		want Ref
		bad  string // a fragment of the error; "" if the ref is good
	}{
		// Each kind, plain.
		{ref: "env:KC_CLIENT_SECRET", want: Ref{KindEnv, "KC_CLIENT_SECRET", ""}},
		{ref: "file:/run/secrets/kc", want: Ref{KindFile, "/run/secrets/kc", ""}},
		{ref: "file:relative/kc.txt", want: Ref{KindFile, "relative/kc.txt", ""}},
		{ref: "ssm:/barrage/kc/password", want: Ref{KindSSM, "/barrage/kc/password", ""}},
		{ref: "secretsmanager:kc", want: Ref{KindSecretsManager, "kc", ""}},
		// ARNs keep their colons: only the first colon ends the scheme.
		{ref: "secretsmanager:arn:aws:secretsmanager:eu-west-1:1:secret:kc#client_secret",
			want: Ref{KindSecretsManager, "arn:aws:secretsmanager:eu-west-1:1:secret:kc", "client_secret"}},
		{ref: "ssm:arn:aws:ssm:eu-west-1:123456789012:parameter/kc/pw",
			want: Ref{KindSSM, "arn:aws:ssm:eu-west-1:123456789012:parameter/kc/pw", ""}},
		// An SSM version selector is part of the name.
		{ref: "ssm:/kc/pw:3", want: Ref{KindSSM, "/kc/pw:3", ""}},
		// #field on every kind; the field runs to the end, '#' and all.
		{ref: "ssm:/kc#password", want: Ref{KindSSM, "/kc", "password"}},
		{ref: "file:/run/kc.json#client_secret", want: Ref{KindFile, "/run/kc.json", "client_secret"}},
		{ref: "env:KC_JSON#secret", want: Ref{KindEnv, "KC_JSON", "secret"}},
		{ref: "secretsmanager:kc#a#b", want: Ref{KindSecretsManager, "kc", "a#b"}},
		// Field names may hold spaces inside.
		{ref: "secretsmanager:kc#client secret", want: Ref{KindSecretsManager, "kc", "client secret"}},
		// No scheme, or one we do not know: a literal is never accepted.
		{ref: "", bad: "no known scheme"},
		{ref: "hunter2", bad: "no known scheme"},
		{ref: "evn:X", bad: "no known scheme"},
		{ref: "ENV:X", bad: "no known scheme"},
		{ref: " env:X", bad: "no known scheme"},
		{ref: "s3://bucket/key", bad: "no known scheme"},
		{ref: "https://vault/x", bad: "no known scheme"},
		// Empty names and fields.
		{ref: "env:", bad: "empty variable name"},
		{ref: "file:", bad: "empty path"},
		{ref: "ssm:", bad: "empty parameter name"},
		{ref: "secretsmanager:", bad: "empty secret name"},
		{ref: "secretsmanager:#field", bad: "empty secret name"},
		{ref: "ssm:/x#", bad: "empty field"},
		// Stray white space and control characters are typos.
		{ref: "env: X", bad: "leading or trailing space"},
		{ref: "ssm:/x ", bad: "leading or trailing space"},
		{ref: "ssm:/x# f", bad: "leading or trailing space"},
		{ref: "env:X\n", bad: "control character"},
		{ref: "file:/a\x00b", bad: "control character"},
		// '=' cannot be in a variable name.
		{ref: "env:A=B", bad: "'='"},
	} {
		got, err := Parse(tc.ref)
		if tc.bad != "" {
			if err == nil || !errors.Is(err, ErrBadRef) || !strings.Contains(err.Error(), tc.bad) {
				t.Errorf("Parse(%q) = %+v, %v; want an ErrBadRef saying %q", tc.ref, got, err, tc.bad)
			}
			if Check(tc.ref) == nil {
				t.Errorf("Check(%q) = nil; want an error", tc.ref)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tc.ref, got, err, tc.want)
		}
		if s := got.String(); s != tc.ref {
			t.Errorf("Parse(%q).String() = %q; want the input back", tc.ref, s)
		}
		if err := Check(tc.ref); err != nil {
			t.Errorf("Check(%q) = %v; want nil", tc.ref, err)
		}
	}
}

// TestParseNeverQuotesALiteral: a password pasted where a reference goes
// must not come back in the error that rejects it.
func TestParseNeverQuotesALiteral(t *testing.T) {
	for _, literal := range []string{"Sup3rS3cret!", "abc:def-Sup3rS3cret", "Sup3rS3cret#x"} {
		err := Check(literal)
		if err == nil {
			t.Fatalf("Check(%q) = nil; want an error", literal)
		}
		for _, piece := range []string{literal, "Sup3r", "abc"} {
			if strings.Contains(err.Error(), piece) {
				t.Errorf("Check(%q) = %q; it quotes %q", literal, err, piece)
			}
		}
	}
}

// FuzzParse checks that Parse never panics, that its errors are ErrBadRef
// on one line and quote nothing without a known scheme, and that what it
// accepts prints back as the input.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"env:X", "file:/a/b#c", "ssm:/p:3", "secretsmanager:arn:aws:secretsmanager:eu-west-1:1:secret:kc#client_secret",
		"", ":", "#", "env:#", "ssm:#x", "hunter2", "env:\n", "secretsmanager:a#b#c", "file: x", "env:A=B", "\xff:x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrBadRef) {
				t.Fatalf("Parse(%q): %v is not ErrBadRef", s, err)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("Parse(%q): error %q spans lines", s, err)
			}
			scheme, _, _ := strings.Cut(s, ":")
			if !known(Kind(scheme)) && err.Error() != noScheme().Error() {
				t.Fatalf("Parse(%q): error %q is not the fixed no-scheme error", s, err)
			}
			return
		}
		if r.String() != s {
			t.Fatalf("Parse(%q).String() = %q", s, r.String())
		}
		if again, err := Parse(r.String()); err != nil || again != r {
			t.Fatalf("Parse(%q) = %+v, then %+v, %v", s, r, again, err)
		}
		if r.Name == "" || !known(r.Kind) {
			t.Fatalf("Parse(%q) accepted %+v", s, r)
		}
	})
}

// noScheme is the error of a string without a known scheme.
func noScheme() error { _, err := Parse(""); return err }
