package engine

import (
	"sync"
	"unicode/utf8"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/errclass"
)

// Error messages. Besides its class and bounded detail, a failed request's
// message is kept, so that a report says what "other: 1500" was: per target
// and class, the first events.MaxErrorMessages distinct messages, each with
// its count, so that one target's errors never take another's room. The
// set is shared by the shard's workers, so that the first messages and
// their counts are exact whichever stripe recorded them; the stripes count
// by message number (outcome.msg), and the shard's totals keep, per class,
// the first events.MaxErrorMessages of its targets' messages.
//
// A message is redacted (Config.Redact) and cut to maxMessageLen once, when
// first seen. Later errors with the same text find its number by the raw
// text, under a read lock: the cost of an error is then its Error() string
// and a map lookup. The raw texts remembered are bounded by maxRawTexts;
// past it, an unknown text is redacted again to find its number.

const (
	maxMessageLen = 300  // bytes of a kept message, before "…"
	maxRawTexts   = 1024 // raw texts remembered with their message number
)

type msgKey struct {
	target int // the statistics target (Engine.names)
	class  errclass.Class
	text   string
}

// messages numbers the distinct error messages of a shard from 1, per
// target; 0 is a message not kept (its target's class had its share).
type messages struct {
	redact func(string) string

	mu      sync.RWMutex
	byRaw   map[msgKey]int32 // raw text → number (0: not kept)
	byText  map[msgKey]int32 // kept (redacted) text → number
	kept    []msgKey         // by number - 1
	inClass [][errclass.NumClasses]int
}

// newMessages keeps the messages of targets targets.
func newMessages(redact func(string) string, targets int) *messages {
	return &messages{redact: redact, byRaw: map[msgKey]int32{}, byText: map[msgKey]int32{},
		inClass: make([][errclass.NumClasses]int, targets)}
}

// number returns the number of err's message in class c of target t,
// keeping the message if it is new and the target's class has room; 0 when
// it is not kept.
func (m *messages) number(t int, c errclass.Class, err error) int32 {
	raw := msgKey{t, c, err.Error()}
	m.mu.RLock()
	n, ok := m.byRaw[raw]
	m.mu.RUnlock()
	if ok {
		return n
	}
	text := msgKey{t, c, m.clean(raw.text)}
	m.mu.Lock()
	defer m.mu.Unlock()
	n, ok = m.byText[text]
	if !ok && m.inClass[t][c] < events.MaxErrorMessages {
		m.inClass[t][c]++
		m.kept = append(m.kept, text)
		n = int32(len(m.kept))
		m.byText[text] = n
	}
	if len(m.byRaw) < maxRawTexts {
		m.byRaw[raw] = n
	}
	return n
}

// clean redacts s and cuts it to maxMessageLen bytes, at a rune boundary.
func (m *messages) clean(s string) string {
	if m.redact != nil {
		s = m.redact(s)
	}
	if len(s) <= maxMessageLen {
		return s
	}
	cut := maxMessageLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// toEvents lists the kept messages with their counts (by number), by class
// in the order they were first seen: the first events.MaxErrorMessages
// distinct texts of each class, a text kept for several targets (a
// shard's totals) counted once with all their counts.
func (m *messages) toEvents(counts map[int32]int64) map[string][]events.ErrorMessage {
	if len(counts) == 0 {
		return nil
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := map[string][]events.ErrorMessage{}
	at := map[msgKey]int{} // a text of a class (target 0) → its index in out
	for i, k := range m.kept {
		n := counts[int32(i+1)]
		if n == 0 {
			continue
		}
		c, text := k.class.String(), msgKey{class: k.class, text: k.text}
		if j, ok := at[text]; ok {
			out[c][j].Count += n
		} else if len(out[c]) < events.MaxErrorMessages {
			at[text] = len(out[c])
			out[c] = append(out[c], events.ErrorMessage{Message: k.text, Count: n})
		}
	}
	return out
}
