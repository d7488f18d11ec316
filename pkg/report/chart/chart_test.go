package chart

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// TestValues: gaps are null, numbers keep six significant digits.
func TestValues(t *testing.T) {
	b, err := json.Marshal(Values{1, Gap, 0.25, math.Inf(1), 1234567, -3})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), "[1,null,0.25,null,1.23457e+06,-3]"; got != want {
		t.Errorf("got %s; want %s", got, want)
	}
}

// TestPageParts: the head carries uPlot with its licence and nothing that
// ends its <script> early; the data cannot end its <script> either, whatever
// a label says.
func TestPageParts(t *testing.T) {
	head := string(Head())
	if !strings.Contains(head, "Copyright (c) 2022 Leon Sorokin") || !strings.Contains(head, "uPlot "+UPlotVersion) {
		t.Error("the head lacks uPlot's licence or version")
	}
	if n := strings.Count(strings.ToLower(head), "</script"); n != 1 {
		t.Errorf("%d </script in the head; want 1, its own", n)
	}
	data, err := Data([]Chart{{ID: "c", Title: "</script><script>alert(1)</script>", X: []float64{0},
		Series: []Series{{Label: "a&b", Values: Values{1}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(strings.ToLower(string(data)), "</script"); n != 2 {
		t.Errorf("%d </script in the data; want 2 (the blob's and the renderer's)", n)
	}
	if !strings.Contains(string(Div(`a"b`)), `data-chart="a&#34;b"`) {
		t.Errorf("Div does not escape its id: %s", Div(`a"b`))
	}
}
