package scenario

import (
	"fmt"
	"github.com/barrage-load/barrage/pkg/suggest"
	"slices"
	"strings"
)

// MaxNameLen is the longest variable name Declare accepts.
const MaxNameLen = 128

// Names is the declared set of variable names of a scenario, each given an
// index in the order it was first declared. Templates, extractors and
// dataset bindings resolve names to indexes once, when they are compiled, so a
// Vars is addressed by slice index on the hot path.
//
// The zero value is an empty set ready to use, and a nil *Names reads as an
// empty set. A Names is built while a spec is
// loaded and only read afterwards; it is not safe for concurrent Declare.
type Names struct {
	list []string
	idx  map[string]int
}

// NewNames returns a set holding names, in order.
func NewNames(names ...string) (*Names, error) {
	n := new(Names)
	for _, s := range names {
		if _, err := n.Declare(s); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// Declare adds name to the set, if it is not there yet, and returns its index.
// Declaring a name twice is not an error: two extractors may write the same
// variable, and an extractor may overwrite a dataset column.
func (n *Names) Declare(name string) (int, error) {
	if i, ok := n.idx[name]; ok {
		return i, nil
	}
	if err := checkName(name); err != nil {
		return 0, err
	}
	if n.idx == nil {
		n.idx = make(map[string]int)
	}
	n.idx[name] = len(n.list)
	n.list = append(n.list, name)
	return len(n.list) - 1, nil
}

// Index returns the index of name, and whether name is declared.
func (n *Names) Index(name string) (int, bool) {
	if n == nil {
		return 0, false
	}
	i, ok := n.idx[name]
	return i, ok
}

// Name returns the name with index i, or "" if there is none.
func (n *Names) Name(i int) string {
	if n == nil || i < 0 || i >= len(n.list) {
		return ""
	}
	return n.list[i]
}

// Len returns the number of declared names.
func (n *Names) Len() int {
	if n == nil {
		return 0
	}
	return len(n.list)
}

// List returns the declared names in index order, as a new slice.
func (n *Names) List() []string {
	if n == nil {
		return nil
	}
	return slices.Clone(n.list)
}

// checkName reports whether s is a valid variable name: 1 to MaxNameLen ASCII
// letters, digits, '_', '.' or '-'.
func checkName(s string) error {
	if s == "" {
		return fmt.Errorf("variable name is empty")
	}
	if len(s) > MaxNameLen {
		return fmt.Errorf("variable name %.20q… is longer than %d bytes", s, MaxNameLen)
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return fmt.Errorf("variable name %q has %q at byte %d (want letters, digits, '_', '.', '-')", s, s[i], i)
		}
	}
	return nil
}

func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-'
}

// unknownName describes a name that is not in the set, with close matches or,
// for a small set, every name.
func (n *Names) unknownName(kind, name string) string {
	msg := fmt.Sprintf("unknown %s %q", kind, name)
	if n == nil {
		n = new(Names)
	}
	if close := closeMatches(name, n.list, 3); len(close) > 0 {
		return msg + " (did you mean " + quoteList(close, " or ") + "?)"
	}
	switch {
	case len(n.list) == 0:
		return msg + " (no variables are declared)"
	case len(n.list) <= 12:
		return msg + " (declared: " + strings.Join(n.list, ", ") + ")"
	}
	return msg
}

// closeMatches returns up to most candidates within a small edit distance of
// s, closest first. It is meant for error messages, not for hot paths.
func closeMatches(s string, candidates []string, most int) []string {
	type scored struct {
		c string
		d int
	}
	var out []scored
	limit := max(1, len(s)/3)
	for _, c := range candidates {
		d := suggest.Distance(s, c)
		if d <= limit {
			out = append(out, scored{c, d})
		}
	}
	slices.SortStableFunc(out, func(a, b scored) int { return a.d - b.d })
	names := make([]string, 0, min(len(out), most))
	for i := 0; i < len(out) && i < most; i++ {
		names = append(names, out[i].c)
	}
	return names
}

func quoteList(s []string, sep string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, sep)
}
