package hist

import "testing"

// TestLogTag: a target's name as an interval log's tag keeps what a tag may
// hold and turns what splits or breaks a log line into '_'.
func TestLogTag(t *testing.T) {
	tests := []struct{ name, want string }{
		{"login", "login"},                           // as it is
		{"GET /a, b", "GET_/a__b"},                   // space and comma
		{"checkout/pay\tnow\n", "checkout/pay_now_"}, // tab and line break
		{"a=b?c&d", "a=b?c&d"},                       // what a URL holds stays
		{"", "_"},                                    // never empty
		{"x\x00y", "x_y"},                            // a control character
	}
	for _, tt := range tests {
		if got := LogTag(tt.name); got != tt.want {
			t.Errorf("LogTag(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}
