package compare_test

import (
	"fmt"
	"os"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/compare"
)

// A regression gate: B's p99 is 25% above A's, its throughput 2% below.
func ExampleComparison_Judge() {
	a := &events.Report{RunID: "a", DurationS: 10, Requests: 1000, Success: 1000, Throughput: 100, LatencyMs: events.Latency{P99: 20}}
	b := &events.Report{RunID: "b", DurationS: 10, Requests: 1000, Success: 980, Throughput: 98, LatencyMs: events.Latency{P99: 25}}
	conds, err := compare.ParseConditions("p99>+10%,throughput<-5%,error_ratio>+0.01")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	c := compare.Compare(a, b)
	held, _ := c.Judge(conds)
	for _, g := range c.Gates {
		fmt.Println(compare.GateLine(g))
	}
	fmt.Println(len(held), "held")
	// Output:
	// FAIL p99>+10%: p99 20.00 ms → 25.00 ms (+5.00 ms, +25.0%)
	// ok   throughput<-5%: throughput 100.00/s → 98.00/s (-2.00/s, -2.0%)
	// FAIL error_ratio>+0.01: error_ratio 0.0000 → 0.0200 (+0.0200, new)
	// 2 held
}
