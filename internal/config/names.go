package config

import (
	"fmt"
	"strings"

	"github.com/pgtwin/pgtwin/internal/ident"
)

// ParseTableName splits a table name as written in the config into its
// schema (empty when the name is not qualified) and table. Names follow
// PostgreSQL's rules: users, public.users, "Sales Dept"."Order Lines".
// Unquoted parts are folded to lower case (ASCII letters only, as the
// server does); quoted parts are taken as written, with "" standing for one
// double quote. Whitespace around the parts and the dot is allowed.
func ParseTableName(s string) (schema, table string, err error) {
	parts, err := parseName(s, 2)
	if err != nil {
		return "", "", fmt.Errorf("table name %q: %w", s, err)
	}
	if len(parts) == 1 {
		return "", parts[0], nil
	}
	return parts[0], parts[1], nil
}

// ParseIdent parses a single identifier, such as a schema name.
func ParseIdent(s string) (string, error) {
	parts, err := parseName(s, 1)
	if err != nil {
		return "", fmt.Errorf("name %q: %w", s, err)
	}
	return parts[0], nil
}

// parseName parses up to max dot-separated identifiers.
func parseName(s string, max int) ([]string, error) {
	var parts []string
	i := skipSpace(s, 0)
	if i == len(s) {
		return nil, fmt.Errorf("is empty")
	}
	for {
		part, next, err := parseIdentAt(s, i)
		if err != nil {
			return nil, err
		}
		parts = append(parts, part)
		i = skipSpace(s, next)
		if i == len(s) {
			return parts, nil
		}
		if s[i] != '.' {
			return nil, fmt.Errorf("unexpected %q at byte %d; quote names that are not plain identifiers", s[i], i+1)
		}
		if len(parts) == max {
			if max == 1 {
				return nil, fmt.Errorf("unexpected '.' at byte %d; quote names that hold a dot", i+1)
			}
			return nil, fmt.Errorf("has more than %d parts; write schema.table", max)
		}
		i = skipSpace(s, i+1)
		if i == len(s) {
			return nil, fmt.Errorf("ends with a dot")
		}
	}
}

// parseIdentAt parses one quoted or unquoted identifier starting at s[i].
func parseIdentAt(s string, i int) (ident string, next int, err error) {
	if s[i] == '"' {
		var b strings.Builder
		for j := i + 1; j < len(s); j++ {
			switch s[j] {
			case 0:
				return "", 0, fmt.Errorf("holds a NUL byte")
			case '"':
				if j+1 < len(s) && s[j+1] == '"' {
					b.WriteByte('"')
					j++
					continue
				}
				if b.Len() == 0 {
					return "", 0, fmt.Errorf("has an empty quoted identifier at byte %d", i+1)
				}
				return b.String(), j + 1, nil
			default:
				b.WriteByte(s[j])
			}
		}
		return "", 0, fmt.Errorf("has an unterminated quoted identifier at byte %d", i+1)
	}
	if !identStart(s[i]) {
		return "", 0, fmt.Errorf("unexpected %q at byte %d; quote names that are not plain identifiers", s[i], i+1)
	}
	j := i + 1
	for j < len(s) && (identStart(s[j]) || s[j] >= '0' && s[j] <= '9' || s[j] == '$') {
		j++
	}
	return asciiLower(s[i:j]), j, nil
}

func identStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// quoteIdent writes an identifier as the config accepts it: plain when it
// reads back unchanged, double-quoted otherwise.
func quoteIdent(s string) string { return ident.QuoteIfNeeded(s) }

// asciiLower folds A-Z only, as PostgreSQL folds unquoted identifiers in
// multi-byte encodings.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
