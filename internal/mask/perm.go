package mask

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"math/bits"
)

// The permutations every injective mask is built from. All are keyed by an
// AES-128 key derived from the master key and the rule, and tweaked by what
// the mask keeps of the value (its pattern, its block), so that each domain
// gets its own permutation.
//
// A keyed permutation π of a domain of N ≥ 2 elements can have fixed
// points; the masks use σ(x) = π⁻¹((π(x)+1) mod N) instead, a single cycle
// through the whole domain, which is a permutation with none: no value is
// ever masked to itself.

// rounds is the number of Feistel rounds (FF1 uses 10, FF3-1 8).
const rounds = 8

// Tweak domains: the first byte of a tweak block, so that the permutations
// of different shapes never share round inputs.
const (
	domVec = 'V' // mixed-radix vectors (text, email, digits, numeric)
	domInt = 'I' // integer ranges [0, N)
	domMAC = 'M' // keyed digests (names)
)

// perm holds one mask's cipher and scratch space. It is used by one
// goroutine.
type perm struct {
	b   cipher.Block
	t   [16]byte // encrypted tweak block of the current domain
	in  [16]byte
	out [16]byte
	mac [16]byte
	// integer domain of the current setInt
	n     uint64
	a, bb uint // bits of the left and right halves
}

func newPerm(key []byte) *perm {
	b, err := aes.NewCipher(key[:16])
	if err != nil {
		panic(err) // 16 bytes is always a valid AES key
	}
	return &perm{b: b}
}

// setTweak starts a domain: T = AES(dom ‖ x ‖ y).
func (p *perm) setTweak(dom byte, x, y uint64) {
	binary.LittleEndian.PutUint64(p.in[0:], x)
	p.in[0] ^= dom
	binary.LittleEndian.PutUint64(p.in[8:], y)
	p.b.Encrypt(p.t[:], p.in[:])
}

// roundMAC computes the round function of round r on src (digits < 256):
// a CBC-MAC chained from the tweak block, whose first output block is
// p.mac; more blocks for wider halves come from AES(mac ⊕ counter).
func (p *perm) roundMAC(r int, src []uint8) {
	p.in = p.t
	p.in[0] ^= byte(r + 1)
	i, j := 0, 1
	for {
		for j < 16 && i < len(src) {
			p.in[j] ^= src[i]
			i++
			j++
		}
		p.b.Encrypt(p.mac[:], p.in[:])
		if i >= len(src) {
			return
		}
		p.in = p.mac
		j = 0
	}
}

// addRound adds (or, inverse, subtracts) the round function of src to dst,
// digit by digit modulo each digit's radix.
func (p *perm) addRound(r int, src, dst, rad []uint8, inverse bool) {
	p.roundMAC(r, src)
	stream := &p.mac
	k := 0
	for i := range dst {
		if k == 16 {
			p.in = p.mac
			p.in[15] ^= 0x80
			binary.LittleEndian.PutUint32(p.in[0:], binary.LittleEndian.Uint32(p.in[0:])^uint32(i))
			p.b.Encrypt(p.out[:], p.in[:])
			stream = &p.out
			k = 0
		}
		m := rad[i]
		// stream[k] scaled to [0, m) by a multiply and shift, not a division.
		d := uint8(uint16(stream[k]) * uint16(m) >> 8)
		k++
		if inverse {
			d = m - d
		}
		v := dst[i] + d
		if v >= m {
			v -= m
		}
		dst[i] = v
	}
}

// sigmaVec replaces the mixed-radix vector val (val[i] < rad[i], every
// radix ≥ 2) with σ(val) in its domain. tweak names the domain (the shape
// of the value); a vector of length 0 is left as it is.
func (p *perm) sigmaVec(val, rad []uint8, tweak uint64) {
	n := len(val)
	switch n {
	case 0:
		return
	case 1:
		val[0] = uint8(p.sigmaInt(uint64(val[0]), uint64(rad[0]), tweak, uint64(rad[0])|1<<62))
		return
	}
	u := n / 2
	p.setTweak(domVec, uint64(n)|uint64(u)<<32, tweak)
	a, b := val[:u], val[u:]
	ra, rb := rad[:u], rad[u:]
	for r := 0; r < rounds; r++ {
		if r%2 == 0 {
			p.addRound(r, a, b, rb, false)
		} else {
			p.addRound(r, b, a, ra, false)
		}
	}
	// +1 in the permuted domain, with carry, modulo the domain's size.
	for i := n - 1; i >= 0; i-- {
		val[i]++
		if val[i] < rad[i] {
			break
		}
		val[i] = 0
	}
	for r := rounds - 1; r >= 0; r-- {
		if r%2 == 0 {
			p.addRound(r, a, b, rb, true)
		} else {
			p.addRound(r, b, a, ra, true)
		}
	}
}

// setInt starts the integer domain [0, n) (n ≥ 2) under tweak (x, y).
func (p *perm) setInt(n, x, y uint64) {
	p.n = n
	k := uint(bits.Len64(n - 1))
	p.a = k / 2
	p.bb = k - p.a
	p.setTweak(domInt, x, y)
}

func (p *perm) f(r int, v uint64) uint64 {
	p.in = p.t
	p.in[0] ^= byte(r + 1)
	binary.LittleEndian.PutUint64(p.out[:8], v)
	for i := 0; i < 8; i++ {
		p.in[8+i] ^= p.out[i]
	}
	p.b.Encrypt(p.out[:], p.in[:])
	return binary.LittleEndian.Uint64(p.out[:8])
}

// feistel is a balanced-as-possible Feistel permutation of [0, 2^(a+bb)).
func (p *perm) feistel(x uint64, inverse bool) uint64 {
	ma := uint64(1)<<p.a - 1
	mb := uint64(1)<<p.bb - 1
	l, r := x>>p.bb, x&mb
	if !inverse {
		for i := 0; i < rounds; i++ {
			if i%2 == 0 {
				r = (r + p.f(i, l)) & mb
			} else {
				l = (l + p.f(i, r)) & ma
			}
		}
	} else {
		for i := rounds - 1; i >= 0; i-- {
			if i%2 == 0 {
				r = (r - p.f(i, l)) & mb
			} else {
				l = (l - p.f(i, r)) & ma
			}
		}
	}
	return l<<p.bb | r
}

// fwd is π on [0, n): the Feistel permutation of the smallest power of two
// ≥ n, cycle-walked back into [0, n) (fewer than 2 steps on average).
func (p *perm) fwd(x uint64) uint64 {
	for {
		x = p.feistel(x, false)
		if x < p.n {
			return x
		}
	}
}

func (p *perm) inv(x uint64) uint64 {
	for {
		x = p.feistel(x, true)
		if x < p.n {
			return x
		}
	}
}

// sigmaInt is σ on [0, n) under tweak (x, y); n < 2 leaves v as it is.
func (p *perm) sigmaInt(v, n, x, y uint64) uint64 {
	if n < 2 {
		return v
	}
	p.setInt(n, x, y)
	w := p.fwd(v) + 1
	if w == n {
		w = 0
	}
	return p.inv(w)
}

// block splits [0, span] into blocks of size bs (the last one smaller) and
// returns the start and size of the block holding o. A last block of one
// value (which no permutation could change) is avoided: the last bs+1
// values form two blocks of at least 2 values, or one block when bs < 3.
// So every block of a domain of ≥ 2 values has ≥ 2 values and moving a
// value inside its block changes it by less than bs.
func block(o, span, bs uint64) (start, size uint64) {
	last := span / bs
	if span%bs == 0 && last >= 1 && o/bs >= last-1 {
		s := (last - 1) * bs
		tot := bs + 1
		if bs < 3 {
			return s, tot
		}
		h := (tot + 1) / 2
		if o < s+h {
			return s, h
		}
		return s + h, tot - h
	}
	start = o / bs * bs
	if span-start < bs {
		return start, span - start + 1
	}
	return start, bs
}

// shiftInBlock moves o (in [0, span]) to σ(o) within its block of size bs;
// tag names the domain in the tweak.
func (p *perm) shiftInBlock(o, span, bs, tag uint64) uint64 {
	start, size := block(o, span, bs)
	return start + p.sigmaInt(o-start, size, start, tag)
}
