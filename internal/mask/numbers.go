package mask

import (
	"errors"
	"math"
	"strconv"
)

// int: the type's range is cut into blocks of Noise+1 values, aligned on
// 0 (so non-negative values stay non-negative and negative ones negative),
// and σ moves each value inside its block: the change is at most Noise, and
// never 0. A last block at the end of the type's range may be smaller.
type intMasker struct {
	p        *perm
	bs       uint64
	min, max int64
}

func newIntMasker(p *perm, r Rule, t Type) *intMasker {
	m := &intMasker{p: p, bs: uint64(noise(r)) + 1, min: t.IntMin, max: t.IntMax}
	if m.min == 0 && m.max == 0 {
		m.min, m.max = math.MinInt64, math.MaxInt64
	}
	return m
}

var (
	errNotInt   = errors.New("value is not an integer")
	errIntRange = errors.New("value is outside the column type's range")
)

func (m *intMasker) mask(dst, v []byte, _ Row) ([]byte, error) {
	x, ok := parseInt(v)
	if !ok {
		return dst, errNotInt
	}
	if x < m.min || x > m.max {
		return dst, errIntRange
	}
	return strconv.AppendInt(dst, m.maskInt(x), 10), nil
}

func (m *intMasker) maskInt(x int64) int64 {
	switch {
	case m.min > 0 || m.max < 0: // a range without 0: blocks from min
		o := uint64(x) - uint64(m.min)
		return int64(uint64(m.min) + m.p.shiftInBlock(o, uint64(m.max)-uint64(m.min), m.bs, 2))
	case x >= 0:
		return int64(m.p.shiftInBlock(uint64(x), uint64(m.max), m.bs, 0))
	default: // -1, -2, … are 0, 1, … of the negative side
		o := uint64(-1 - x)
		return -1 - int64(m.p.shiftInBlock(o, uint64(-1-m.min), m.bs, 1))
	}
}

// parseInt parses PostgreSQL's integer output (optional '-', digits).
func parseInt(v []byte) (int64, bool) {
	neg := len(v) > 0 && v[0] == '-'
	if neg {
		v = v[1:]
	}
	if len(v) == 0 || len(v) > 19 {
		return 0, false
	}
	var u uint64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return int64(-u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// numeric: the digits are permuted, keeping the sign, the position of the
// decimal point, the number of digits, the zeros that lead a fraction
// (0.0012 stays 0.00xx), the trailing zeros of the scale and an exponent
// as they are, so the value fits numeric(p,s) and keeps its magnitude. The
// first significant digit stays 1–9 and the last digit of a fraction stays
// 1–9, so that equal values (1.5, 1.50) and different values are masked to
// equal and different values: the mask is one-to-one on numbers, not only
// on their text. The first significant digits are kept so the change is
// below Noise percent (2 digits for 10%, 1 for 100%, none from 1000%), but
// at least one digit always changes: a value with few significant digits
// (7, 0.5) can change by more than Noise. NaN and ±Infinity, and zero
// written with a sign, exponent or several integer digits, are kept.
//
// real and double precision values (text with an exponent, like 1.5e+20)
// are masked the same way; two masked doubles of 16 or 17 significant
// digits may round to the same double.
type numericMasker struct {
	p    *perm
	keep int // leading significant digits kept
	s    vecScratch
	n    numText
}

func newNumericMasker(p *perm, r Rule) *numericMasker {
	nz := noise(r)
	keep := 0
	if nz < 1000 {
		keep = int(math.Ceil(1 + math.Log10(100/nz) - 1e-9))
	}
	return &numericMasker{p: p, keep: min(keep, 30)}
}

var errNotNumber = errors.New("value is not a number")

func (m *numericMasker) mask(dst, v []byte, _ Row) ([]byte, error) {
	if isSpecialNumber(v) {
		return append(dst, v...), nil
	}
	n := &m.n
	if !n.parse(v) {
		return dst, errNotNumber
	}
	start := len(dst)
	dst = append(dst, v...)
	m.maskNumber(dst[start:], n)
	return dst, nil
}

// maskNumber masks b (a copy of the number n was parsed from) in place.
func (m *numericMasker) maskNumber(b []byte, n *numText) {
	// The canonical digits: the fraction without its trailing zeros.
	fe := n.fracEnd
	for fe > n.fracStart && b[fe-1] == '0' {
		fe--
	}
	s := &m.s
	s.reset()
	h := uint64(fnvOffset)
	mix := func(x uint64) { h = (h ^ x) * fnvPrime }
	if n.neg {
		mix('-')
	}
	mix(uint64(n.intEnd - n.intStart))
	mix(uint64(fe - n.fracStart))
	for _, c := range b[n.expStart:] {
		mix(uint64(c))
	}
	nd := n.intEnd - n.intStart + fe - n.fracStart
	at := func(i int) int { // position of the i-th canonical digit
		if i < n.intEnd-n.intStart {
			return n.intStart + i
		}
		return n.fracStart + i - (n.intEnd - n.intStart)
	}
	if nd == 1 && !n.neg && n.expStart == len(b) && n.intEnd-n.intStart == 1 {
		// A one-digit integer (0 included): the class 0–9.
		s.add(n.intStart, b[n.intStart]-'0', 10, '0')
		m.p.sigmaVec(s.val, s.rad, h)
		s.write(b)
		return
	}
	z := 0
	for z < nd && b[at(z)] == '0' {
		z++
	}
	if z == nd { // a zero written as -0, 00 or 0e5: kept
		return
	}
	mix(uint64(z))
	keep := min(m.keep, nd-z-1)
	for i := z + keep; i < nd; i++ {
		p := at(i)
		d := b[p] - '0'
		if i == z || i == nd-1 && p >= n.fracStart && fe > n.fracStart {
			s.add(p, d-1, 9, '1')
		} else {
			s.add(p, d, 10, '0')
		}
	}
	m.p.sigmaVec(s.val, s.rad, h)
	s.write(b)
}

// numText locates the parts of a number's text: [-]digits[.digits][e[+-]digits].
type numText struct {
	neg                bool
	intStart, intEnd   int
	fracStart, fracEnd int // equal when there is no fraction
	expStart           int // len(v) when there is no exponent
}

func (n *numText) intDigits() int  { return n.intEnd - n.intStart }
func (n *numText) fracDigits() int { return n.fracEnd - n.fracStart }

func (n *numText) parse(v []byte) bool {
	i := 0
	n.neg = len(v) > 0 && v[0] == '-'
	if n.neg {
		i++
	}
	digits := func() int {
		s := i
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		return i - s
	}
	n.intStart = i
	if digits() == 0 {
		return false
	}
	n.intEnd = i
	n.fracStart, n.fracEnd = i, i
	if i < len(v) && v[i] == '.' {
		i++
		n.fracStart = i
		if digits() == 0 {
			return false
		}
		n.fracEnd = i
	}
	n.expStart = i
	if i < len(v) && (v[i] == 'e' || v[i] == 'E') {
		i++
		if i < len(v) && (v[i] == '+' || v[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(v)
}

// isSpecialNumber reports NaN and ±Infinity, which are kept.
func isSpecialNumber(v []byte) bool {
	switch string(v) {
	case "NaN", "Infinity", "-Infinity":
		return true
	}
	return false
}
