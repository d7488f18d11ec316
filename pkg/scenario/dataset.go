package scenario

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/barrage-load/barrage/events"
)

// Dataset gives each iteration a row of values. The row for an iteration is
// chosen by its arrival index n: the 0-based index of the arrival in the whole
// run, across every shard. Shards that take every k-th arrival therefore use
// distinct rows, as long as the run has no more arrivals than the dataset has
// rows; after that, rows are reused from the start (n mod Len).
//
// A Dataset is immutable and safe for concurrent use, and AppendField does
// not allocate beyond growing dst.
type Dataset interface {
	// Columns returns the names of the columns, which become variables.
	Columns() []string
	// Len returns the number of distinct rows, at least 1.
	Len() int64
	// AppendField appends the value of column col of the row for arrival n.
	AppendField(dst []byte, n int64, col int) []byte
}

// rowOf returns n mod rows, in [0, rows) also for a negative n.
func rowOf(n, rows int64) int64 {
	r := n % rows
	if r < 0 {
		r += rows
	}
	return r
}

// Binding loads a dataset's rows into Vars, each column into the variable of
// the same name.
type Binding struct {
	d     Dataset
	slots []int // slots[col] is the variable index of column col
}

// Bind declares every column of d in names and returns the binding that
// loads d's rows into the variables.
func Bind(d Dataset, names *Names) (*Binding, error) {
	cols := d.Columns()
	b := &Binding{d: d, slots: make([]int, len(cols))}
	for c, name := range cols {
		i, err := names.Declare(name)
		if err != nil {
			return nil, fmt.Errorf("dataset column %d: %w", c+1, err)
		}
		b.slots[c] = i
	}
	return b, nil
}

// Load sets the variables of v to the row for arrival n.
func (b *Binding) Load(v *Vars, n int64) {
	for c, i := range b.slots {
		v.put(i, b.d.AppendField(v.slot(i), n, c))
	}
}

// Dataset returns the dataset b loads.
func (b *Binding) Dataset() Dataset { return b.d }

// The columns of Users.
const (
	ColumnUsername = "username"
	ColumnPassword = "password"
)

// Defaults of Users.
const (
	DefaultUserPattern     = "user-{n}"
	DefaultPasswordPattern = "pass-{n}"
)

// Users is a generated dataset of Count users with columns username and
// password: the row for arrival n has
//
//	i = Start + (n mod Count)
//
// and every "{n}" in Pattern and PasswordPattern replaced by i in decimal, so
// Users{Count: 1000, Start: 1} gives user-1/pass-1 to user-1000/pass-1000 and
// then starts again at user-1. It suits a realm seeded with numbered users,
// as Keycloak's benchmark dataset provider creates.
type Users struct {
	// Pattern is the username; "{n}" is replaced by the user number.
	// Empty means DefaultUserPattern.
	Pattern string `json:"pattern,omitempty"`
	// PasswordPattern is the password, as Pattern; it need not hold "{n}".
	// Empty means DefaultPasswordPattern.
	PasswordPattern string `json:"password_pattern,omitempty"`
	// Count is the number of users, at least 1.
	Count int64 `json:"count"`
	// Start is the number of the first user, at least 0.
	Start int64 `json:"start,omitempty"`
}

var _ Dataset = Users{}

// Validate reports every problem of u at once (joined with errors.Join, each
// an *events.FieldError) and changes nothing.
func (u Users) Validate() error {
	var p []error
	add := func(field, format string, args ...any) {
		p = append(p, &events.FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if u.Count < 1 {
		add("count", "%d users; want at least 1", u.Count)
	}
	if u.Start < 0 {
		add("start", "%d is negative", u.Start)
	} else if u.Count > 0 && u.Start > math.MaxInt64-u.Count {
		add("start", "%d + count %d overflows", u.Start, u.Count)
	}
	if u.Count > 1 && !strings.Contains(u.pattern(), "{n}") {
		add("pattern", "%q has no {n}, so all %d users would have the same name", u.Pattern, u.Count)
	}
	return errors.Join(p...)
}

func (u Users) pattern() string {
	if u.Pattern == "" {
		return DefaultUserPattern
	}
	return u.Pattern
}

func (u Users) passwordPattern() string {
	if u.PasswordPattern == "" {
		return DefaultPasswordPattern
	}
	return u.PasswordPattern
}

// Columns returns username and password.
func (u Users) Columns() []string { return []string{ColumnUsername, ColumnPassword} }

// Len returns Count, or 1 if Count is not positive.
func (u Users) Len() int64 { return max(u.Count, 1) }

// AppendField appends the username (col 0) or password (col 1) for arrival
// n; other columns are empty.
func (u Users) AppendField(dst []byte, n int64, col int) []byte {
	var pat string
	switch col {
	case 0:
		pat = u.pattern()
	case 1:
		pat = u.passwordPattern()
	default:
		return dst
	}
	i := u.Start + rowOf(n, u.Len())
	for {
		before, after, ok := strings.Cut(pat, "{n}")
		dst = append(dst, before...)
		if !ok {
			return dst
		}
		dst = strconv.AppendInt(dst, i, 10)
		pat = after
	}
}

// String describes u, such as "users user-{n}/pass-{n} × 1000 from 1".
func (u Users) String() string {
	return fmt.Sprintf("users %s/%s × %d from %d", u.pattern(), u.passwordPattern(), u.Count, u.Start)
}
