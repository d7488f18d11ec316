package suggest

import (
	"strings"
	"testing"
)

func TestDistance(t *testing.T) {
	long := strings.Repeat("a", MaxLen+1)
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},                    // nothing to edit
		{"rate", "rate", 0},            // equal
		{"Rate", "rATE", 0},            // case is ignored
		{"rate", "rat", 1},             // one deletion
		{"tokn", "token", 1},           // one insertion
		{"ramp_to", "rampto", 1},       // one deletion inside
		{"kitten", "sitting", 3},       // the textbook pair
		{"", "abc", 3},                 // all insertions
		{long, long, 0},                // too long, but equal
		{long, long[:MaxLen], 1 << 20}, // too long: far
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%.10q, %.10q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
