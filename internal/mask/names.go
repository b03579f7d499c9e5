package mask

import (
	"encoding/binary"
	"fmt"
	"sort"
)

// name, first_name, last_name: a realistic name from the built-in lists,
// chosen by a keyed digest of the value; name is "First Last". Only names
// that fit the column are chosen (for name, the pairs that fit); when none
// fits, a name is cut to the column's length. A name equal to the input
// (blank padding aside) is replaced by the next one. Not one-to-one.
type nameMasker struct {
	p      *perm
	kind   string
	t      Type
	firsts []string // the first names that fit
	lasts  []string // the last names that fit, shortest first
	// upTo[n] is how many of lasts are at most n long.
	upTo []int
	cut  int // > 0: cut names to this length
}

func newNameMasker(p *perm, kind string, t Type) (*nameMasker, error) {
	m := &nameMasker{p: p, kind: kind, t: t}
	lim := t.MaxLen
	if lim == 0 {
		lim = 1 << 20
	}
	fits := func(list []string, n int) []string {
		var out []string
		for _, s := range list {
			if len(s) <= n {
				out = append(out, s)
			}
		}
		return out
	}
	switch kind {
	case FirstName:
		m.firsts = fits(firstNames[:], lim)
	case LastName:
		m.firsts = fits(lastNames[:], lim)
	case Name:
		m.firsts = fits(firstNames[:], lim-2)
		m.lasts = fits(lastNames[:], lim-2)
		sort.SliceStable(m.lasts, func(i, j int) bool { return len(m.lasts[i]) < len(m.lasts[j]) })
		if len(m.firsts) == 0 || len(m.lasts) == 0 {
			m.firsts, m.lasts = nil, nil
			break
		}
		m.upTo = make([]int, len(m.lasts[len(m.lasts)-1])+1)
		for _, s := range m.lasts {
			m.upTo[len(s)]++
		}
		for i := 1; i < len(m.upTo); i++ {
			m.upTo[i] += m.upTo[i-1]
		}
		// Keep only first names with room for at least one last name.
		m.firsts = fits(m.firsts, lim-1-len(m.lasts[0]))
	}
	if len(m.firsts) == 0 {
		if t.MaxLen < 1 {
			return nil, fmt.Errorf("no name fits") // unreachable: lists are not empty
		}
		m.cut = t.MaxLen
		m.firsts, m.lasts = firstNames[:], nil
		if kind == LastName {
			m.firsts = lastNames[:]
		}
	}
	return m, nil
}

func (m *nameMasker) mask(dst, v []byte, _ Row) ([]byte, error) {
	x := m.p.digest(v)
	in := trimPad(v, m.t)
	start := len(dst)
	i := int(x % uint64(len(m.firsts)))
	j := int(x >> 32)
	for try := 0; try <= len(m.firsts); try++ {
		dst = dst[:start]
		f := m.firsts[(i+try)%len(m.firsts)]
		if m.lasts == nil {
			if m.cut > 0 && len(f) > m.cut {
				f = f[:m.cut]
			}
			dst = append(dst, f...)
		} else {
			budget := min(len(m.upTo)-1, m.t.MaxLen-1-len(f))
			if m.t.MaxLen == 0 {
				budget = len(m.upTo) - 1
			}
			l := m.lasts[j%m.upTo[budget]]
			dst = append(dst, f...)
			dst = append(dst, ' ')
			dst = append(dst, l...)
		}
		if string(dst[start:]) != string(in) {
			break
		}
	}
	return padFrom(dst, start, m.t), nil
}

// digest is a keyed 64-bit digest of v: a CBC-MAC under the mask's AES key
// whose first block holds v's length (so no input is a prefix of another's
// blocks).
func (p *perm) digest(v []byte) uint64 {
	p.in = [16]byte{0: domMAC}
	binary.LittleEndian.PutUint64(p.in[8:], uint64(len(v)))
	p.b.Encrypt(p.mac[:], p.in[:])
	for len(v) > 0 {
		n := copy(p.in[:], v)
		for i := n; i < 16; i++ {
			p.in[i] = 0
		}
		for i := range p.in {
			p.in[i] ^= p.mac[i]
		}
		p.b.Encrypt(p.mac[:], p.in[:])
		v = v[n:]
	}
	return binary.LittleEndian.Uint64(p.mac[:8])
}
