package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/barrage-load/barrage/events"
	"github.com/barrage-load/barrage/pkg/hostguard"
	"github.com/barrage-load/barrage/pkg/journey"
)

// checkHosts checks, before a local run sends anything, every host s may
// contact against its allow_hosts (--allow-hosts; none allows every host)
// and the addresses never contacted: the names it writes
// (journey.CheckHosts), the addresses they resolve to here, where the
// local workers resolve them too, and what the flows' discovery returns
// (with the endpoints the flows need). Each refusal is a line of its own,
// prefixed by name; what discovery changes in the flows is a line on
// stderr.
func checkHosts(s *events.RunSpec, name string, stderr io.Writer) error {
	g := hostguard.Guard{}.With(s.AllowHosts)
	err := journey.CheckHosts(s, g)
	if err == nil {
		ctx, d := context.Background(), &hostguard.Dialer{Guard: g}
		notes, derr := journey.CheckDiscovery(ctx, s, d)
		err = errors.Join(journey.CheckAddresses(ctx, s, d), derr)
		if err == nil {
			for _, n := range notes {
				fmt.Fprintf(stderr, "%s: %s\n", name, n)
			}
		}
	}
	if err == nil {
		return nil
	}
	var lines []string
	for _, e := range flatten(err) {
		lines = append(lines, name+": "+e.Error())
	}
	return &refusedError{lines}
}

// flatten lists the errors err joins, depth first.
func flatten(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, flatten(e)...)
	}
	return out
}

// refusedError is bad input of several problems, each printed on a line
// of its own (exit 2): the hosts a run may not contact.
type refusedError struct{ lines []string }

func (e *refusedError) Error() string { return strings.Join(e.lines, "\n") }
