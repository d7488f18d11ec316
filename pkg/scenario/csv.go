package scenario

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"slices"
)

// MaxCSVBytes is the most field data a CSV dataset holds (offsets are 32-bit).
const MaxCSVBytes = math.MaxUint32

// CSVOptions says in which order a CSV dataset hands out its rows.
type CSVOptions struct {
	// Shuffle visits the rows in a pseudo-random order fixed by Seed instead
	// of file order.
	Shuffle bool `json:"shuffle,omitempty"`
	// Seed picks the order when Shuffle is set. Every shard of a run must use
	// the same seed, so that they agree on the order and distinct arrivals get
	// distinct rows.
	Seed uint64 `json:"seed,omitempty"`
}

// CSV is a dataset read from CSV text whose first record names the columns.
// The row for arrival n is record n mod Len in file order, or in the order of
// a seeded permutation with Shuffle; the permutation is the same on every
// pass, so wrapping around repeats the rows in the same order.
//
// The fields are stored back to back in one byte slice with one 32-bit end
// offset per field (and, with Shuffle, one 32-bit row number per row), so a
// million rows of two short columns take about 30 MB, and reading a field is
// an index and a copy: it does not allocate.
type CSV struct {
	cols  []string
	data  []byte   // every field, back to back
	ends  []uint32 // ends[r*len(cols)+c] is the end of field c of record r in data
	order []uint32 // the shuffled record of each row, or nil for file order
}

var _ Dataset = (*CSV)(nil)

// LoadCSV reads the CSV file at path.
func LoadCSV(path string, opts CSVOptions) (*CSV, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("csv dataset: %w", err)
	}
	d, err := ParseCSV(b, opts)
	if err != nil {
		return nil, fmt.Errorf("csv dataset %s: %w", path, err)
	}
	return d, nil
}

// ParseCSV reads a dataset from CSV text (RFC 4180, as encoding/csv reads
// it: quoted fields may hold commas, quotes and newlines; a UTF-8 byte order
// mark is skipped). The header names the columns, each a valid variable name
// given once; every record must have as many fields as the header, and there
// must be at least one record.
func ParseCSV(text []byte, opts CSVOptions) (*CSV, error) {
	text = bytes.TrimPrefix(text, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(text))
	r.ReuseRecord = true
	header, err := r.Read()
	if err == io.EOF {
		return nil, errors.New("empty file (want a header row naming the columns)")
	}
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	d := &CSV{cols: slices.Clone(header)}
	if err := checkColumns(d.cols); err != nil {
		return nil, err
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		for _, f := range rec {
			if int64(len(d.data))+int64(len(f)) > MaxCSVBytes {
				line, _ := r.FieldPos(0)
				return nil, fmt.Errorf("line %d: more than %d bytes of fields", line, int64(MaxCSVBytes))
			}
			d.data = append(d.data, f...)
			d.ends = append(d.ends, uint32(len(d.data)))
		}
	}
	rows := len(d.ends) / len(d.cols)
	if rows == 0 {
		return nil, errors.New("no rows after the header")
	}
	if int64(rows) > math.MaxUint32 {
		return nil, fmt.Errorf("%d rows; at most %d", rows, int64(math.MaxUint32))
	}
	d.data = slices.Clip(d.data)
	d.ends = slices.Clip(d.ends)
	if opts.Shuffle {
		d.order = permutation(rows, opts.Seed)
	}
	return d, nil
}

// checkColumns reports every problem of a header at once.
func checkColumns(cols []string) error {
	var p []error
	seen := make(map[string]int, len(cols))
	for i, c := range cols {
		if err := checkName(c); err != nil {
			p = append(p, fmt.Errorf("header column %d: %w", i+1, err))
		} else if j, ok := seen[c]; ok {
			p = append(p, fmt.Errorf("header column %d: %q is also column %d", i+1, c, j+1))
		}
		seen[c] = i
	}
	return errors.Join(p...)
}

// Columns returns the names in the header row, as a new slice.
func (d *CSV) Columns() []string { return slices.Clone(d.cols) }

// Len returns the number of records after the header.
func (d *CSV) Len() int64 { return int64(len(d.ends) / len(d.cols)) }

// Record returns the record (0-based, after the header, in file order) that
// arrival n reads.
func (d *CSV) Record(n int64) int64 {
	r := rowOf(n, d.Len())
	if d.order != nil {
		r = int64(d.order[r])
	}
	return r
}

// AppendField appends field col of the row for arrival n; a column out of
// range appends nothing.
func (d *CSV) AppendField(dst []byte, n int64, col int) []byte {
	if col < 0 || col >= len(d.cols) {
		return dst
	}
	k := int(d.Record(n))*len(d.cols) + col
	start := uint32(0)
	if k > 0 {
		start = d.ends[k-1]
	}
	return append(dst, d.data[start:d.ends[k]]...)
}

// permutation returns a pseudo-random permutation of [0, n) fixed by seed:
// a Fisher–Yates shuffle driven by SplitMix64, written out here so that the
// order never changes with the Go version. Bounding uses the high word of a
// 128-bit product (Lemire); its bias, under n/2^64, does not matter here.
func permutation(n int, seed uint64) []uint32 {
	p := make([]uint32, n)
	for i := range p {
		p[i] = uint32(i)
	}
	s := seed
	for i := n - 1; i > 0; i-- {
		s += 0x9e3779b97f4a7c15
		z := s
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		z ^= z >> 31
		j, _ := bits.Mul64(z, uint64(i+1))
		p[i], p[j] = p[j], p[i]
	}
	return p
}
