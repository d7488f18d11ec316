package scenario

// MaxKeptBytes is the largest buffer a Vars slot keeps across Reset: a slot
// that once held a bigger value gives its buffer back to the garbage
// collector, so one huge response does not pin memory in a pooled Vars.
const MaxKeptBytes = 64 << 10

// Vars holds the variables of one iteration, addressed by the indexes of a
// Names. Each slot owns a byte buffer that Set copies into and Reset empties
// without freeing, so a Vars reused across iterations (from a sync.Pool, or
// one per virtual user) stops allocating once its buffers have grown.
//
// A slot is either set (possibly to the empty string) or unset; templates
// render an unset variable as the empty string. Indexes at or past the size
// of the Vars are unset, and Set grows the Vars to hold them. A Vars is used by
// one goroutine at a time.
type Vars struct {
	vals [][]byte
	set  []bool
}

// NewVars returns an empty Vars with a slot for each name in names.
func NewVars(names *Names) *Vars {
	n := names.Len()
	return &Vars{vals: make([][]byte, n), set: make([]bool, n)}
}

// Set sets variable i to a copy of s.
func (v *Vars) Set(i int, s string) {
	v.grow(i)
	v.vals[i] = append(v.vals[i][:0], s...)
	v.set[i] = true
}

// SetBytes sets variable i to a copy of b.
func (v *Vars) SetBytes(i int, b []byte) {
	v.grow(i)
	v.vals[i] = append(v.vals[i][:0], b...)
	v.set[i] = true
}

// Get returns a copy of variable i and whether it is set. It allocates; use
// Bytes where the value is only read.
func (v *Vars) Get(i int) (string, bool) {
	if !v.IsSet(i) {
		return "", false
	}
	return string(v.vals[i]), true
}

// Bytes returns variable i, or nil if it is unset. The slice is valid until
// the next Set, SetBytes, Unset or Reset of i, and must not be modified.
func (v *Vars) Bytes(i int) []byte {
	if !v.IsSet(i) {
		return nil
	}
	return v.vals[i]
}

// IsSet reports whether variable i is set. A nil Vars has nothing set.
func (v *Vars) IsSet(i int) bool {
	return v != nil && i >= 0 && i < len(v.set) && v.set[i]
}

// Unset makes variable i unset.
func (v *Vars) Unset(i int) {
	if i >= 0 && i < len(v.set) {
		v.set[i] = false
		v.vals[i] = v.vals[i][:0]
	}
}

// Reset unsets every variable, keeping buffers up to MaxKeptBytes for reuse.
func (v *Vars) Reset() {
	for i := range v.vals {
		if cap(v.vals[i]) > MaxKeptBytes {
			v.vals[i] = nil
		} else {
			v.vals[i] = v.vals[i][:0]
		}
		v.set[i] = false
	}
}

// slot returns the buffer of variable i, emptied, for appending a new value
// to; put stores the result.
func (v *Vars) slot(i int) []byte {
	v.grow(i)
	return v.vals[i][:0]
}

func (v *Vars) put(i int, b []byte) {
	v.vals[i] = b
	v.set[i] = true
}

func (v *Vars) grow(i int) {
	if i < len(v.vals) {
		return
	}
	n := max(i+1, 2*len(v.vals))
	vals := make([][]byte, n)
	copy(vals, v.vals)
	set := make([]bool, n)
	copy(set, v.set)
	v.vals, v.set = vals, set
}
