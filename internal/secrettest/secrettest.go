// Package secrettest gives the secret sources' tests what they hide and
// look for: a secret value, and the check that an error or a text holds no
// piece of it.
package secrettest

import "strings"

// Value is the value the leak tests hide: what they check must hold no
// piece of it of three bytes or more.
const Value = "QZXJ9WQK7V"

// Leaks returns the first piece of Value of three bytes that s holds, or
// "" if it holds none.
func Leaks(s string) string {
	for i := 0; i+3 <= len(Value); i++ {
		if strings.Contains(s, Value[i:i+3]) {
			return Value[i : i+3]
		}
	}
	return ""
}
