package hist_test

import (
	"fmt"
	"time"

	"github.com/barrage-load/barrage/pkg/hist"
)

// Each worker goroutine records into its own histogram; the reducer decodes
// and merges them.
func Example() {
	shards := []*hist.Histogram{hist.New(), hist.New()}
	for i := 1; i <= 1000; i++ {
		shards[i%2].Record(time.Duration(i) * time.Microsecond)
	}
	shards[0].Record(2 * time.Hour) // past Highest: counted, not recorded

	total := hist.New()
	for _, s := range shards {
		wire, err := s.MarshalBinary()
		if err != nil {
			fmt.Println(err)
			return
		}
		d, err := hist.Decode(wire)
		if err != nil {
			fmt.Println(err)
			return
		}
		if err := total.Merge(d); err != nil {
			fmt.Println(err) // the reducer fails loudly
			return
		}
	}
	fmt.Println("count", total.Count(), "overflow", total.Overflow())
	fmt.Println("p50", total.Quantile(0.5), "p99", total.Quantile(0.99), "max", total.Max())
	// Output:
	// count 1000 overflow 1
	// p50 500µs p99 990µs max 1ms
}
