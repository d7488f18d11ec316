#include "textflag.h"

// Per 128-bit lane: the tables indexed by a character's low and high
// nibbles (a bit in common: not of the alphabet), what to add by high
// nibble ('/' looked up one lower), the 24 bits of each 4 bytes in order,
// and the three 32-bit words of each lane brought together.
DATA b64lo<>+0(SB)/8, $0x1111111111111115
DATA b64lo<>+8(SB)/8, $0x1A1B1B1B1A131111
DATA b64lo<>+16(SB)/8, $0x1111111111111115
DATA b64lo<>+24(SB)/8, $0x1A1B1B1B1A131111
GLOBL b64lo<>(SB), RODATA|NOPTR, $32

DATA b64hi<>+0(SB)/8, $0x0804080402011010
DATA b64hi<>+8(SB)/8, $0x1010101010101010
DATA b64hi<>+16(SB)/8, $0x0804080402011010
DATA b64hi<>+24(SB)/8, $0x1010101010101010
GLOBL b64hi<>(SB), RODATA|NOPTR, $32

DATA b64roll<>+0(SB)/8, $0xB9B9BFBF04131000
DATA b64roll<>+8(SB)/8, $0x0000000000000000
DATA b64roll<>+16(SB)/8, $0xB9B9BFBF04131000
DATA b64roll<>+24(SB)/8, $0x0000000000000000
GLOBL b64roll<>(SB), RODATA|NOPTR, $32

DATA b64nib<>+0(SB)/8, $0x0F0F0F0F0F0F0F0F
DATA b64nib<>+8(SB)/8, $0x0F0F0F0F0F0F0F0F
DATA b64nib<>+16(SB)/8, $0x0F0F0F0F0F0F0F0F
DATA b64nib<>+24(SB)/8, $0x0F0F0F0F0F0F0F0F
GLOBL b64nib<>(SB), RODATA|NOPTR, $32

DATA b64slash<>+0(SB)/8, $0x2F2F2F2F2F2F2F2F
DATA b64slash<>+8(SB)/8, $0x2F2F2F2F2F2F2F2F
DATA b64slash<>+16(SB)/8, $0x2F2F2F2F2F2F2F2F
DATA b64slash<>+24(SB)/8, $0x2F2F2F2F2F2F2F2F
GLOBL b64slash<>(SB), RODATA|NOPTR, $32

DATA b64pair<>+0(SB)/8, $0x0140014001400140
DATA b64pair<>+8(SB)/8, $0x0140014001400140
DATA b64pair<>+16(SB)/8, $0x0140014001400140
DATA b64pair<>+24(SB)/8, $0x0140014001400140
GLOBL b64pair<>(SB), RODATA|NOPTR, $32

DATA b64quad<>+0(SB)/8, $0x0001100000011000
DATA b64quad<>+8(SB)/8, $0x0001100000011000
DATA b64quad<>+16(SB)/8, $0x0001100000011000
DATA b64quad<>+24(SB)/8, $0x0001100000011000
GLOBL b64quad<>(SB), RODATA|NOPTR, $32

DATA b64pack<>+0(SB)/8, $0x090A040506000102
DATA b64pack<>+8(SB)/8, $0xFFFFFFFF0C0D0E08
DATA b64pack<>+16(SB)/8, $0x090A040506000102
DATA b64pack<>+24(SB)/8, $0xFFFFFFFF0C0D0E08
GLOBL b64pack<>(SB), RODATA|NOPTR, $32

DATA b64join<>+0(SB)/8, $0x0000000100000000
DATA b64join<>+8(SB)/8, $0x0000000400000002
DATA b64join<>+16(SB)/8, $0x0000000600000005
DATA b64join<>+24(SB)/8, $0x0000000700000003
GLOBL b64join<>(SB), RODATA|NOPTR, $32

// func base64Blocks(s []byte) int
TEXT ·base64Blocks(SB), NOSPLIT, $0-32
	MOVQ s_base+0(FP), SI // read from
	MOVQ s_len+8(FP), CX
	MOVQ SI, DI           // written to
	XORQ AX, AX           // characters read
	SUBQ $4, CX           // the last quantum is left
	JLE  done
	VMOVDQU b64lo<>(SB), Y8
	VMOVDQU b64hi<>(SB), Y9
	VMOVDQU b64roll<>(SB), Y10
	VMOVDQU b64nib<>(SB), Y11
	VMOVDQU b64slash<>(SB), Y12
	VMOVDQU b64pair<>(SB), Y13
	VMOVDQU b64quad<>(SB), Y14
	VMOVDQU b64pack<>(SB), Y15
	VMOVDQU b64join<>(SB), Y7

loop:
	LEAQ 32(AX), DX
	CMPQ DX, CX
	JGT  done
	VMOVDQU (SI)(AX*1), Y0
	VPSRLD  $4, Y0, Y1
	VPAND   Y11, Y1, Y1       // high nibbles
	VPAND   Y11, Y0, Y2       // low nibbles
	VPSHUFB Y2, Y8, Y3
	VPSHUFB Y1, Y9, Y4
	VPTEST  Y3, Y4
	JNZ     done              // a character not of the alphabet
	VPCMPEQB Y12, Y0, Y5      // '/': -1
	VPADDB  Y5, Y1, Y1
	VPSHUFB Y1, Y10, Y1
	VPADDB  Y1, Y0, Y0        // the values, 6 bits a byte
	VPMADDUBSW Y13, Y0, Y0    // 12 bits a pair
	VPMADDWD Y14, Y0, Y0      // 24 bits a quad
	VPSHUFB Y15, Y0, Y0       // 12 bytes a lane
	VPERMD  Y0, Y7, Y0        // 24 bytes
	VMOVDQU Y0, (DI)
	ADDQ    $24, DI
	MOVQ    DX, AX
	JMP     loop

done:
	VZEROUPPER
	MOVQ AX, ret+24(FP)
	RET
