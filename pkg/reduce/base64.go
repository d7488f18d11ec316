package reduce

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
)

// undecode encodes again the n bytes base64InPlace decoded to the start of
// s, where their base64 was: the decoding was strict, so their encoding is
// what it read.
func undecode(s []byte, n int) {
	base64.StdEncoding.Encode(s, bytes.Clone(s[:n]))
}

// base64Values maps each character of the standard base64 alphabet to its
// six bits, and any other byte to 0xff.
var base64Values = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" {
		t[c] = byte(i)
	}
	return t
}()

// base64Quantum maps the k-th character of a quantum of four to its six
// bits in place in the quantum's 24, and any byte not of the alphabet to
// 1<<24 (see base64Invalid): the four ORed make the quantum.
var base64Quantum = func() (q [4][256]uint32) {
	for c, v := range base64Values {
		for k := range q {
			q[k][c] = uint32(v) << (18 - 6*k)
			if v == 0xff {
				q[k][c] = base64Invalid
			}
		}
	}
	return q
}()

// base64Invalid marks a byte not of the alphabet in base64Quantum.
const base64Invalid = 1 << 24

func base64InPlace(s []byte) (int, bool) {
	if len(s)%4 != 0 {
		return 0, false
	}
	if len(s) == 0 {
		return 0, true
	}
	q, t := &base64Quantum, &base64Values
	n, i := 0, 0
	if base64Wide {
		i = base64Blocks(s)
		n = i / 4 * 3
	}
	for ; i+8 < len(s); i, n = i+8, n+6 { // 8 at a time, all but the last quantum
		c := (*[8]byte)(s[i:])
		a := q[0][c[0]] | q[1][c[1]] | q[2][c[2]] | q[3][c[3]]
		b := q[0][c[4]] | q[1][c[5]] | q[2][c[6]] | q[3][c[7]]
		if (a|b)&base64Invalid != 0 {
			undecode(s, n)
			return 0, false
		}
		binary.BigEndian.PutUint64(s[n:], uint64(a)<<40|uint64(b)<<16) // 6 bytes and 2 that the next overwrite
	}
	for ; i < len(s); i, n = i+4, n+3 {
		a, b, c, e := t[s[i]], t[s[i+1]], t[s[i+2]], t[s[i+3]]
		last := i+4 == len(s)
		switch {
		case last && s[i+2] == '=' && s[i+3] == '=': // one byte; the padding bits are zero
			if (a|b)&0x80 == 0 && b&0x0f == 0 {
				s[n] = a<<2 | b>>4
				return n + 1, true
			}
		case last && s[i+3] == '=': // two bytes
			if (a|b|c)&0x80 == 0 && c&0x03 == 0 {
				s[n], s[n+1] = a<<2|b>>4, b<<4|c>>2
				return n + 2, true
			}
		case (a|b|c|e)&0x80 == 0:
			s[n], s[n+1], s[n+2] = a<<2|b>>4, b<<4|c>>2, c<<6|e
			continue
		}
		undecode(s, n)
		return 0, false
	}
	return n, true
}
