// Package suggest measures how far a misspelt name is from the ones meant,
// for "did you mean" hints in error messages (spec fields, template
// variables). It is not for hot paths.
package suggest

import "strings"

// MaxLen is the longest name Distance compares; a longer one is far from
// everything but itself.
const MaxLen = 64

// Distance is the Levenshtein distance between a and b, ignoring case, in
// bytes. Names longer than MaxLen are 1<<20 apart unless equal.
func Distance(a, b string) int {
	a, b = strings.ToLower(a), strings.ToLower(b)
	if len(a) > MaxLen || len(b) > MaxLen {
		if a == b {
			return 0
		}
		return 1 << 20
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
