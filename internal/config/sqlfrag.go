package config

import (
	"fmt"
	"strings"
)

// CheckFragment reports why s cannot stand, as it is, between the
// parentheses of "WHERE (…)" or after "ORDER BY": a ';' outside quotes and
// comments (a second statement), a ')' that closes more than it opened (an
// escape from the parentheses), or an unterminated quote or comment. It
// knows PostgreSQL's lexical rules for strings ('…', E'…' with backslash
// escapes, $tag$…$tag$), quoted identifiers and comments (-- and nested
// /* */); everything else is left to the server (plan.CheckSQL).
func CheckFragment(s string) error {
	var open []int                                           // indexes of unclosed '('
	pos := func(i int) int { return len([]rune(s[:i])) + 1 } // 1-based, in characters
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ';':
			return fmt.Errorf("found ';' at character %d; give one SQL expression, not statements", pos(i))
		case c == '(':
			open = append(open, i)
			i++
		case c == ')':
			if len(open) == 0 {
				return fmt.Errorf("found ')' at character %d without a matching '('", pos(i))
			}
			open = open[:len(open)-1]
			i++
		case c == '-' && strings.HasPrefix(s[i:], "--"):
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				return nil // the comment runs to the end; callers end the fragment with a newline
			}
			i += j + 1
		case c == '/' && strings.HasPrefix(s[i:], "/*"):
			j, nest := i+2, 1
			for nest > 0 {
				if j >= len(s)-1 {
					return fmt.Errorf("the comment starting at character %d is not closed", pos(i))
				}
				switch s[j : j+2] {
				case "/*":
					nest++
					j += 2
				case "*/":
					nest--
					j += 2
				default:
					j++
				}
			}
			i = j
		case c == '\'':
			escapes := i > 0 && (s[i-1] == 'e' || s[i-1] == 'E') && (i < 2 || !identChar(s[i-2]))
			j, ok := endQuote(s, i+1, '\'', escapes)
			if !ok {
				return fmt.Errorf("the string starting at character %d is not closed", pos(i))
			}
			i = j
		case c == '"':
			j, ok := endQuote(s, i+1, '"', false)
			if !ok {
				return fmt.Errorf("the quoted identifier starting at character %d is not closed", pos(i))
			}
			i = j
		case c == '$':
			tag, ok := dollarTag(s[i:])
			if !ok {
				i++
				continue
			}
			j := strings.Index(s[i+len(tag):], tag)
			if j < 0 {
				return fmt.Errorf("the dollar-quoted string starting at character %d is not closed", pos(i))
			}
			i += len(tag) + j + len(tag)
		case identStart(c):
			// identifiers and keywords, which may hold '$'
			for i < len(s) && identChar(s[i]) {
				i++
			}
		default:
			i++
		}
	}
	if len(open) > 0 {
		return fmt.Errorf("the '(' at character %d is not closed", pos(open[len(open)-1]))
	}
	return nil
}

func identChar(c byte) bool {
	return identStart(c) || c >= '0' && c <= '9' || c == '$'
}

// endQuote returns the index after the quote closing a string or quoted
// identifier whose body starts at s[i]; a doubled quote stands for itself.
func endQuote(s string, i int, q byte, backslash bool) (int, bool) {
	for i < len(s) {
		switch s[i] {
		case '\\':
			if backslash {
				i += 2
				continue
			}
		case q:
			if i+1 < len(s) && s[i+1] == q {
				i += 2
				continue
			}
			return i + 1, true
		}
		i++
	}
	return 0, false
}

// dollarTag returns the $tag$ that s starts with, if any.
func dollarTag(s string) (string, bool) {
	for j := 1; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '$':
			return s[:j+1], true
		case c >= '0' && c <= '9':
			if j == 1 {
				return "", false // a parameter, $1
			}
		case identStart(c):
		default:
			return "", false
		}
	}
	return "", false
}
