package mask

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
)

// uuid: the 16 bytes are permuted by σ over AES-128 (a permutation of all
// 2^128 values, so one-to-one), x → AES⁻¹(AES(x)+1), and written in
// lower case, with hyphens when the input had them (PostgreSQL's uuid
// output always has). The version and variant bits are not kept: the
// result is a valid uuid value, not a version-4 one.
type uuidMasker struct {
	p *perm
	u [16]byte
}

var errNotUUID = errors.New("value is not a uuid")

func (m *uuidMasker) mask(dst, v []byte, _ Row) ([]byte, error) {
	if !parseUUID(v, &m.u) {
		return dst, errNotUUID
	}
	m.p.b.Encrypt(m.u[:], m.u[:])
	for i := 15; i >= 0; i-- {
		m.u[i]++
		if m.u[i] != 0 {
			break
		}
	}
	m.p.b.Decrypt(m.u[:], m.u[:])
	const hexd = "0123456789abcdef"
	for i, c := range m.u {
		if len(v) == 36 && (i == 4 || i == 6 || i == 8 || i == 10) {
			dst = append(dst, '-')
		}
		dst = append(dst, hexd[c>>4], hexd[c&15])
	}
	return dst, nil
}

// parseUUID reads 32 hex digits, with hyphens after the 8th, 12th, 16th
// and 20th or none.
func parseUUID(v []byte, u *[16]byte) bool {
	if len(v) != 36 && len(v) != 32 {
		return false
	}
	j := 0
	for i := 0; i < 16; i++ {
		if len(v) == 36 && (i == 4 || i == 6 || i == 8 || i == 10) {
			if v[j] != '-' {
				return false
			}
			j++
		}
		hi, ok1 := unhex(v[j])
		lo, ok2 := unhex(v[j+1])
		if !ok1 || !ok2 {
			return false
		}
		u[i] = hi<<4 | lo
		j += 2
	}
	return true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// hash: the hex of HMAC-SHA-256(subkey, value), cut to the column's length
// (DefaultHashLen when unlimited, 64 at most) and blank-padded for char(n).
// In a json or jsonb column it is a JSON string. Not one-to-one. A hash
// that happens to equal its input (possible when cut to a few characters)
// has its first digit moved to the next hex digit.
type hashMasker struct {
	h    hash.Hash
	n    int
	t    Type
	json bool
	sum  [sha256.Size]byte
	hx   [2 * sha256.Size]byte
}

func newHashMasker(key []byte, t Type) *hashMasker {
	n := DefaultHashLen
	if t.MaxLen > 0 {
		n = min(t.MaxLen, len(hashMasker{}.hx))
	}
	return &hashMasker{h: hmac.New(sha256.New, key), n: n, t: t, json: t.Kind == JSONType || t.Kind == JSONBType}
}

func (m *hashMasker) mask(dst, v []byte, _ Row) ([]byte, error) {
	m.h.Reset()
	m.h.Write(v)
	m.h.Sum(m.sum[:0])
	hex.Encode(m.hx[:], m.sum[:])
	out := m.hx[:m.n]
	if m.json {
		dst = append(dst, '"')
		dst = append(dst, out...)
		return append(dst, '"'), nil
	}
	if string(out) == string(trimPad(v, m.t)) {
		out[0] = "123456789abcdef0"[unhexMust(out[0])]
	}
	start := len(dst)
	dst = append(dst, out...)
	return padFrom(dst, start, m.t), nil
}

func unhexMust(c byte) byte {
	x, _ := unhex(c)
	return x
}

// trimPad removes a char(n) value's padding blanks.
func trimPad(v []byte, t Type) []byte {
	if !t.Fixed {
		return v
	}
	for len(v) > 0 && v[len(v)-1] == ' ' {
		v = v[:len(v)-1]
	}
	return v
}

// padFrom blank-pads dst[start:] to a char(n) column's length.
func padFrom(dst []byte, start int, t Type) []byte {
	if !t.Fixed || t.MaxLen == 0 {
		return dst
	}
	n := runeCount(dst[start:])
	for ; n < t.MaxLen; n++ {
		dst = append(dst, ' ')
	}
	return dst
}

func runeCount(b []byte) int {
	n := 0
	for _, c := range b {
		if c&0xC0 != 0x80 {
			n++
		}
	}
	return n
}
