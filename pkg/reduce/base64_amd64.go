package reduce

import "golang.org/x/sys/cpu"

// base64Wide is whether base64Blocks may run: it needs AVX2.
var base64Wide = cpu.X86.HasAVX2

// base64Blocks decodes s in place 32 characters at a time, as
// base64InPlace does, while they are all of the alphabet (no padding):
// the 24 bytes of each block go to the start of s, after those of the
// blocks before it. It returns the characters it read (a multiple of 32),
// up to the first block with a character not of the alphabet, which it
// leaves as it was, and before the last 4 characters, which may hold
// padding. Each block's store writes 8 bytes past its 24, over characters
// already read.
//
// The method is Wojciech Muła's (base64 decoding with SIMD instructions,
// 2016): a character's nibbles index two tables whose common bits mark it
// invalid, and its high nibble a third that holds what to add to it to get
// its value; multiply-adds then join four 6-bit values into 24 bits.
//
//go:noescape
func base64Blocks(s []byte) int
