package hist

import "encoding/binary"

// adlerSum returns the Adler-32 checksum of b (RFC 1950), as hash/adler32
// does, eight bytes at a time: of a run of 8 bytes b0…b7, s1 gains their
// sum and s2 8·s1 plus their sum weighted 8, 7, …, 1, both sums taken in
// four 16-bit lanes by multiplication (a lane holds at most 255 · 20, no
// carry crosses into the next). The sums stay in 64 bits, reduced modulo
// 65521 every adlerRun bytes (hash/adler32 reduces every 5,552 in 32).
func adlerSum(b []byte) uint32 {
	const (
		mod   = 65521
		lanes = 0x00ff00ff00ff00ff
		ones  = 0x0001_0001_0001_0001
		even  = 8<<48 | 6<<32 | 4<<16 | 2 // the weights of b0, b2, b4, b6, top lane first
	)
	s1, s2 := uint64(1), uint64(0)
	for len(b) > 0 {
		n := min(len(b), adlerRun)
		p := b[:n]
		for ; len(p) >= 8; p = p[8:] {
			w := binary.LittleEndian.Uint64(p)
			o := w >> 8 & lanes
			x := w&lanes + o // b0+b1, b2+b3, …: at most 510 a lane
			// The odd bytes weigh one less than the even: the weights of
			// x less o (no lane goes below zero, so none borrows).
			s2 += 8*s1 + (x*even-o*ones)>>48
			s1 += x * ones >> 48
		}
		for _, c := range p {
			s1 += uint64(c)
			s2 += s1
		}
		s1, s2 = s1%mod, s2%mod
		b = b[n:]
	}
	return uint32(s2<<16 | s1)
}

// adlerRun bounds the bytes between reductions: s2 then grows by at most
// adlerRun · (65520 + 255 · adlerRun), far within 64 bits.
const adlerRun = 1 << 16
