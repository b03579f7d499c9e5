package mask

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Key is the secret masking key. Its text never appears in any output:
// String and GoString print the fingerprint.
type Key struct{ secret []byte }

// MinKeyLen is the shortest key accepted, in bytes of the variable's text.
const MinKeyLen = 32

// minKeyBytes is the fewest distinct bytes a key must hold: a key of one
// repeated character is long but not secret.
const minKeyBytes = 8

// ParseKey reads the key from the text of environment variable env. Blanks
// around the text (a trailing newline) are ignored. Its errors are one line
// that says how to make a key and never include the text.
func ParseKey(env, text string) (Key, error) {
	howto := fmt.Sprintf("make one with: export %s=$(openssl rand -hex 32)", env)
	text = strings.TrimSpace(text)
	if text == "" {
		return Key{}, fmt.Errorf("masking key %s is not set: %s", env, howto)
	}
	if len(text) < MinKeyLen {
		return Key{}, fmt.Errorf("masking key %s is too short (need at least %d bytes): %s", env, MinKeyLen, howto)
	}
	var seen [256]bool
	distinct := 0
	for i := 0; i < len(text); i++ {
		if !seen[text[i]] {
			seen[text[i]] = true
			distinct++
		}
	}
	if distinct < minKeyBytes {
		return Key{}, fmt.Errorf("masking key %s does not look random (fewer than %d distinct characters): %s", env, minKeyBytes, howto)
	}
	return Key{secret: []byte(text)}, nil
}

// IsZero reports whether k holds no key.
func (k Key) IsZero() bool { return len(k.secret) == 0 }

// Fingerprint identifies the key without revealing it ("sha256:" and 16 hex
// digits of a keyed digest), for the marker and the report. It is "" for
// the zero Key.
func (k Key) Fingerprint() string {
	if k.IsZero() {
		return ""
	}
	d := k.derive("fingerprint")
	return "sha256:" + hex.EncodeToString(d[:8])
}

// String prints the fingerprint, so that a Key printed by mistake shows no
// secret.
func (k Key) String() string { return "mask.Key(" + k.Fingerprint() + ")" }

// GoString is String, for %#v.
func (k Key) GoString() string { return k.String() }

// derive returns the subkey for label: HMAC-SHA-256(key, "pgtwin/mask/v1/"+label).
// Masks derive theirs from the canonical text of their rule (kind and
// parameters, never the table or column), so that a rule masks alike
// wherever it is used.
func (k Key) derive(label string) [32]byte {
	h := hmac.New(sha256.New, k.secret)
	h.Write([]byte("pgtwin/mask/v1/"))
	h.Write([]byte(label))
	var out [32]byte
	h.Sum(out[:0])
	return out
}
