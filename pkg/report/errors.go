package report

import (
	"fmt"
	"strings"

	"github.com/barrage-load/barrage/events"
)

// errorAcc adds up what the shards say their failed requests were, for the
// run or for one target: by class, each detail and each kept message with
// its count. One code serves both, so a target's breakdown is bounded and
// merged exactly as the run's.
type errorAcc struct {
	details map[string]map[string]int64 // class → detail → count
	msgs    map[string]map[string]int64 // class → message → count
}

// add adds c's details and messages.
func (a *errorAcc) add(c *events.Counts) {
	for k, n := range c.ErrorDetails {
		class, detail, _ := strings.Cut(k, " ")
		a.details = addTo(a.details, class, detail, n)
	}
	for class, list := range c.ErrorMessages {
		for _, x := range list {
			a.msgs = addTo(a.msgs, class, x.Message, x.Count)
		}
	}
}

func addTo(m map[string]map[string]int64, class, key string, n int64) map[string]map[string]int64 {
	if m == nil {
		m = map[string]map[string]int64{}
	}
	if m[class] == nil {
		m[class] = map[string]int64{}
	}
	m[class][key] += n
	return m
}

// detailCounts returns, per class, the events.MaxErrorDetails most frequent
// details as "class detail": n; nil when there are none.
func (a *errorAcc) detailCounts() map[string]int64 {
	var out map[string]int64
	for class, counts := range a.details {
		for _, d := range byCount(counts)[:min(events.MaxErrorDetails, len(counts))] {
			if out == nil {
				out = map[string]int64{}
			}
			key := class
			if d != "" {
				key += " " + d
			}
			out[key] = counts[d]
		}
	}
	return out
}

// messages returns, per class, the events.MaxErrorMessages most frequent
// messages, most frequent first (ties by text): the same whatever order
// the shards came in; nil when there are none.
func (a *errorAcc) messages() map[string][]events.ErrorMessage {
	var out map[string][]events.ErrorMessage
	for class, counts := range a.msgs {
		for _, text := range byCount(counts)[:min(events.MaxErrorMessages, len(counts))] {
			if out == nil {
				out = map[string][]events.ErrorMessage{}
			}
			out[class] = append(out[class], events.ErrorMessage{Message: text, Count: counts[text]})
		}
	}
	return out
}

// failures is what a report says of some failed requests: the run's, or
// one target's.
type failures struct {
	statuses, errors, details map[string]int64
	messages                  map[string][]events.ErrorMessage
}

func runFailures(r *events.Report) failures {
	return failures{r.StatusCodes, r.Errors, r.ErrorDetails, r.ErrorMessages}
}

func targetFailures(t *events.TargetReport) failures {
	return failures{t.StatusCodes, t.Errors, t.ErrorDetails, t.ErrorMessages}
}

// line says what the errors of one class were: "N (detail ×n, …):
// "message" ×n; …; K more with other messages".
func (f failures) line(class string) string {
	n := f.errors[class]
	line := itoa(n)
	details := map[string]int64{}
	for k, v := range f.details {
		if c, d, ok := strings.Cut(k, " "); ok && c == class {
			details[d] += v
		}
	}
	if len(details) > 0 {
		line += " (" + timesLine(details) + ")"
	}
	msgs := f.messages[class]
	if len(msgs) == 0 {
		return line
	}
	parts := make([]string, len(msgs))
	for i, m := range msgs {
		parts[i] = fmt.Sprintf("%q ×%d", m.Message, m.Count)
		n -= m.Count
	}
	line += ": " + strings.Join(parts, "; ")
	if n > 0 {
		line += fmt.Sprintf("; %d more with other messages", n)
	}
	return line
}

// notes are the lines under a target's row: its answers that were not a
// success ("status 403 ×7, 500 ×1"), then one line per error class, the
// most frequent first.
func (f failures) notes() []string {
	var out []string
	failed := map[string]int64{}
	for code, n := range f.statuses {
		if len(code) != 3 || code[0] != '2' && code[0] != '3' {
			failed[code] = n
		}
	}
	if len(failed) > 0 {
		out = append(out, "status "+timesLine(failed))
	}
	for _, class := range byCount(f.errors) {
		out = append(out, class+" "+f.line(class))
	}
	return out
}

// timesLine renders a count map as "k ×n, …", largest first: details,
// whose text may hold a colon ("second: 403 ×7").
func timesLine(m map[string]int64) string {
	parts := make([]string, 0, len(m))
	for _, k := range byCount(m) {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
