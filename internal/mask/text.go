package mask

import "bytes"

// Text, email and digits masks.
//
// A value's pattern is kept: which bytes are ASCII letters, which ASCII
// digits, and every other byte as it is (spaces, punctuation, and every
// byte of a non-ASCII character: those are kept in place, unmasked, so
// that the mask stays one-to-one and length-preserving in bytes and in
// characters). The variable positions form a mixed-radix vector (26 for a
// letter, case-folded; 10 for a digit) that σ permutes under a tweak made
// from the pattern; the input's upper/lower case is put back on the
// letters. So the mask is one-to-one on the raw value and on lower(value),
// never returns its input (when it holds at least one ASCII letter or
// digit; a value with none, like "" or "-", is returned as it is), and
// keeps the length, so the value fits wherever the input did.
//
// email: as text, and the last label of the domain (the TLD: what follows
// the last '.' after the last '@') is kept, as are '@', '.', '+', '-' and
// '_' (like all punctuation), so a valid address stays a valid address of
// the same length, and stays unique. digits: only the ASCII digits are
// permuted; letters are kept too.

type textMode uint8

const (
	modeText textMode = iota
	modeEmail
	modeDigits
)

// vecScratch holds one value's variable positions.
type vecScratch struct {
	pos  []int   // byte offset in the output
	val  []uint8 // digit in its radix
	rad  []uint8 // radix
	base []byte  // byte of digit 0: 'a', 'A', '0' or '1'
}

func (s *vecScratch) reset() {
	s.pos, s.val, s.rad, s.base = s.pos[:0], s.val[:0], s.rad[:0], s.base[:0]
}

func (s *vecScratch) add(pos int, val, rad uint8, base byte) {
	s.pos = append(s.pos, pos)
	s.val = append(s.val, val)
	s.rad = append(s.rad, rad)
	s.base = append(s.base, base)
}

// write puts the digits back into out (whose offsets pos index).
func (s *vecScratch) write(out []byte) {
	for i, p := range s.pos {
		out[p] = s.base[i] + s.val[i]
	}
}

type textMasker struct {
	p    *perm
	mode textMode
	s    vecScratch
}

// FNV-1a, for the pattern tweak.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func (m *textMasker) mask(dst, v []byte, _ Row) ([]byte, error) {
	start := len(dst)
	dst = append(dst, v...)
	m.maskInPlace(dst[start:])
	return dst, nil
}

// maskInPlace masks b, which holds a copy of the value.
func (m *textMasker) maskInPlace(b []byte) {
	end := len(b)
	if m.mode == modeEmail {
		if at := bytes.LastIndexByte(b, '@'); at >= 0 {
			if dot := bytes.LastIndexByte(b[at:], '.'); dot >= 0 {
				end = at + dot
			}
		}
	}
	s := &m.s
	s.reset()
	h := uint64(fnvOffset) ^ uint64(m.mode)
	for i, c := range b {
		switch {
		case c >= 0x80:
			// Only that a non-ASCII byte is here goes into the tweak: values
			// whose lower() is equal must share their permutation.
			h ^= 'N'
		case i >= end:
			h ^= uint64(lower(c))
		case c >= 'a' && c <= 'z' && m.mode != modeDigits:
			s.add(i, c-'a', 26, 'a')
			h ^= 'L'
		case c >= 'A' && c <= 'Z' && m.mode != modeDigits:
			s.add(i, c-'A', 26, 'A')
			h ^= 'L'
		case c >= '0' && c <= '9':
			s.add(i, c-'0', 10, '0')
			h ^= 'D'
		default:
			h ^= uint64(lower(c))
		}
		h *= fnvPrime
	}
	m.p.sigmaVec(s.val, s.rad, h)
	s.write(b)
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
