package worker

import (
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/stack"
)

// EMFNamespace is the CloudWatch namespace of the workers' live metrics,
// which the stack's dashboard reads.
const EMFNamespace = stack.MetricsNamespace

// EMF metric names and units: what each line of a shard carries, the
// counts over the interval since the shard's previous line (CloudWatch
// adds them up over a period), the rest as measured then.
var emfMetrics = []emfMetric{
	{"Requests", "Count"}, {"Successes", "Count"}, {"Errors", "Count"}, {"Sent", "Count"},
	{"Dropped", "Count"}, {"DroppedLate", "Count"}, {"Inflight", "Count"},
	{"Rate", "Count/Second"}, {"LatencyP99", "Milliseconds"}, {"LatencyMean", "Milliseconds"},
}

// EMFErrorPrefix names the metric of an error class: ErrorsTimeout for
// "timeout" would need a table, so the class's own name follows the
// prefix: Errors_timeout, Errors_connect_refused.
const EMFErrorPrefix = "Errors_"

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

// emf writes a shard's live progress as CloudWatch embedded metric format
// (EMF) lines, one JSON object a line, to w: on Lambda and Fargate, stdout,
// which CloudWatch Logs turns into metrics without an API call of ours.
// The dimensions are the run's id, and the run's id with the worker kind.
type emf struct {
	mu   sync.Mutex
	w    io.Writer
	kind string
	prev events.ShardProgress // the totals of the shard's previous line
}

// line writes sp, a progress of run's shard, as one EMF line.
func (e *emf) line(run, shard string, sp events.ShardProgress) {
	e.mu.Lock()
	defer e.mu.Unlock()
	prev := e.prev
	e.prev = sp
	doc := map[string]any{
		stack.MetricsRunID: run, stack.MetricsKind: e.kind, "ShardId": shard, "ElapsedSeconds": sp.Elapsed.D().Seconds(),
		"Requests": sp.IntervalRequests, "Successes": sp.IntervalSuccess, "Errors": sp.Errors - prev.Errors,
		"Sent": sp.Sent - prev.Sent, "Dropped": sp.Dropped - prev.Dropped, "DroppedLate": sp.DroppedLate - prev.DroppedLate,
		"Inflight": sp.Inflight, "Rate": sp.Rate, "LatencyP99": float64(sp.IntervalP99.D()) / float64(time.Millisecond),
	}
	metrics := append([]emfMetric(nil), emfMetrics...)
	if l, p := sp.Latency, prev.Latency; l != nil {
		n, sum := l.Count, l.SumMs
		if p != nil {
			n, sum = n-p.Count, sum-p.SumMs
		}
		if n > 0 {
			doc["LatencyMean"] = sum / float64(n)
		} else {
			metrics = dropMetric(metrics, "LatencyMean")
		}
	} else {
		metrics = dropMetric(metrics, "LatencyMean")
	}
	for class, n := range sp.ErrorClasses {
		if d := n - prev.ErrorClasses[class]; d > 0 {
			doc[EMFErrorPrefix+class] = d
			metrics = append(metrics, emfMetric{EMFErrorPrefix + class, "Count"})
		}
	}
	doc["_aws"] = map[string]any{
		"Timestamp": sp.T.UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  EMFNamespace,
			"Dimensions": [][]string{{stack.MetricsRunID}, {stack.MetricsRunID, stack.MetricsKind}},
			"Metrics":    metrics,
		}},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return // numbers and strings always marshal
	}
	e.w.Write(append(b, '\n'))
}

func dropMetric(ms []emfMetric, name string) []emfMetric {
	for i, m := range ms {
		if m.Name == name {
			return append(ms[:i], ms[i+1:]...)
		}
	}
	return ms
}
