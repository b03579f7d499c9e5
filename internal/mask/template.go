package mask

import (
	"errors"
	"fmt"
	"strings"
)

// template: the template's text with each {column} replaced by that
// column's value in the twin's row (masked when that column is masked);
// "{{" and "}}" write "{" and "}". A NULL column gives empty text. The
// result is blank-padded for char(n); one longer than the column's limit
// is an error (not cut). A template is accepted on a unique column: the
// template's author must make it unique (e.g. by using the primary key).
type templateMasker struct {
	parts []tmplPart
	uses  []string
	t     Type
}

type tmplPart struct {
	lit    string
	column string // "" for a literal
}

func compileTemplate(text string, t Type) (*templateMasker, error) {
	if text == "" {
		return nil, errors.New("no template given")
	}
	m := &templateMasker{t: t}
	var lit strings.Builder
	seen := map[string]bool{}
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '{' && i+1 < len(text) && text[i+1] == '{', c == '}' && i+1 < len(text) && text[i+1] == '}':
			lit.WriteByte(c)
			i++
		case c == '{':
			end := strings.IndexByte(text[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("template has a { without its }: write {{ for a brace")
			}
			col := strings.TrimSpace(text[i+1 : i+end])
			if col == "" || strings.ContainsRune(col, '{') {
				return nil, fmt.Errorf("template has an empty or nested {}: write {{ and }} for braces")
			}
			if lit.Len() > 0 {
				m.parts = append(m.parts, tmplPart{lit: lit.String()})
				lit.Reset()
			}
			m.parts = append(m.parts, tmplPart{column: col})
			if !seen[col] {
				seen[col] = true
				m.uses = append(m.uses, col)
			}
			i += end
		case c == '}':
			return nil, fmt.Errorf("template has a } without its {: write }} for a brace")
		default:
			lit.WriteByte(c)
		}
	}
	if lit.Len() > 0 {
		m.parts = append(m.parts, tmplPart{lit: lit.String()})
	}
	return m, nil
}

var errNoRow = errors.New("template mask needs the row")

func (m *templateMasker) mask(dst, _ []byte, row Row) ([]byte, error) {
	start := len(dst)
	for _, p := range m.parts {
		if p.column == "" {
			dst = append(dst, p.lit...)
			continue
		}
		if row == nil {
			return dst[:start], errNoRow
		}
		v, null := row.Value(p.column)
		if !null {
			dst = append(dst, v...)
		}
	}
	if n := runeCount(dst[start:]); m.t.MaxLen > 0 && n > m.t.MaxLen {
		return dst[:start], fmt.Errorf("the template's result is %d characters, longer than %s allows", n, typeName(m.t))
	}
	return padFrom(dst, start, m.t), nil
}
