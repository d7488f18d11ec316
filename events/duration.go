package events

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Duration is a time.Duration that reads and writes as a Go duration string
// ("10s", "1m30s") in JSON and YAML.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes d as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses a Go duration string such as "500ms" or "2m".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q (want a Go duration such as 30s, 500ms, 2m)", string(b))
	}
	*d = Duration(v)
	return nil
}

// Seconds is a time.Duration that reads and writes as a number of seconds
// in JSON (12.5), for fields named *_s.
type Seconds time.Duration

// D returns s as a time.Duration.
func (s Seconds) D() time.Duration { return time.Duration(s) }

// MarshalJSON writes s as a number of seconds.
func (s Seconds) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(s).Seconds()) }

// UnmarshalJSON reads a number of seconds, to the nanosecond.
func (s *Seconds) UnmarshalJSON(b []byte) error {
	f, err := unmarshalNumber(b, "seconds")
	*s = Seconds(math.Round(f * float64(time.Second)))
	return err
}

// Millis is a time.Duration that reads and writes as a number of
// milliseconds in JSON (4.25), for fields named *_ms.
type Millis time.Duration

// D returns m as a time.Duration.
func (m Millis) D() time.Duration { return time.Duration(m) }

// MarshalJSON writes m as a number of milliseconds.
func (m Millis) MarshalJSON() ([]byte, error) {
	return json.Marshal(float64(m) / float64(time.Millisecond))
}

// UnmarshalJSON reads a number of milliseconds, to the nanosecond.
func (m *Millis) UnmarshalJSON(b []byte) error {
	f, err := unmarshalNumber(b, "milliseconds")
	*m = Millis(math.Round(f * float64(time.Millisecond)))
	return err
}

// unmarshalNumber reads a JSON number (null is 0) of unit.
func unmarshalNumber(b []byte, unit string) (float64, error) {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return 0, fmt.Errorf("invalid %s %s (want a number)", unit, b)
	}
	return f, nil
}
