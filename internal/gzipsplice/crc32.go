package gzipsplice

// Combine is the CRC-32 (IEEE) of a text A followed by a text B of length
// lenB, from crcA, the CRC-32 of A, and crcB, that of B, without reading
// either text, as zlib's crc32_combine does: following A by lenB bytes
// multiplies its remainder by x^(8·lenB) modulo the polynomial, and B's own
// remainder adds in (the CRC's pre- and post-conditioning cancel out).
func Combine(crcA, crcB uint32, lenB int64) uint32 {
	if lenB <= 0 {
		return crcA
	}
	return multModP(xPow8N(uint64(lenB)), crcA) ^ crcB
}

// poly is the IEEE polynomial, bits reflected as in hash/crc32.
const poly = 0xedb88320

// multModP multiplies a and b modulo the polynomial, both reflected (the
// highest bit holds x^0).
func multModP(a, b uint32) uint32 {
	var p uint32
	for m := uint32(1) << 31; m != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
		}
		if b&1 != 0 {
			b = b>>1 ^ poly
		} else {
			b >>= 1
		}
	}
	return p
}

// x2n[k] is x^(2^k) modulo the polynomial.
var x2n = func() (t [32]uint32) {
	p := uint32(1) << 30 // x^1
	t[0] = p
	for k := 1; k < len(t); k++ {
		p = multModP(p, p)
		t[k] = p
	}
	return t
}()

// xPow8N is x^(8n) modulo the polynomial: n bytes of zeros.
func xPow8N(n uint64) uint32 {
	p := uint32(1) << 31 // x^0
	for k := 3; n != 0; n, k = n>>1, k+1 {
		if n&1 != 0 {
			p = multModP(x2n[k&31], p)
		}
	}
	return p
}
