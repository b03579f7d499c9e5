package schema

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/pgtwin/pgtwin/internal/dbconn"
)

// pgxOnly are connection parameters that pgx understands and libpq (so
// pg_dump) rejects as "invalid connection option".
var pgxOnly = map[string]bool{
	"statement_cache_capacity":   true,
	"description_cache_capacity": true,
	"default_query_exec_mode":    true,
	"min_read_buffer_size":       true,
}

// splitPassword takes the password out of a libpq connection string (a
// postgres:// URL or keyword/value pairs) so that it can travel to pg_dump
// in $PGPASSWORD instead of on its command line, where other users of the
// machine can read it. It also drops the parameters only pgx knows. The
// error never holds the password.
func splitPassword(conn string) (rest, password string, err error) {
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		return splitURLPassword(conn)
	}
	pairs, err := parseKeywordValue(conn)
	if err != nil {
		return "", "", err
	}
	var b strings.Builder
	for _, p := range pairs {
		switch {
		case p.key == "password":
			password = p.value
			continue
		case pgxOnly[p.key]:
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(quoteValue(p.value))
	}
	return b.String(), password, nil
}

type pair struct{ key, value string }

// parseKeywordValue parses libpq's keyword = value syntax: values are bare
// words or single-quoted, and a backslash escapes the next character.
func parseKeywordValue(s string) ([]pair, error) {
	var pairs []pair
	i := 0
	skip := func() {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
	}
	for {
		skip()
		if i >= len(s) {
			return pairs, nil
		}
		start := i
		for i < len(s) && s[i] != '=' && !isSpace(s[i]) {
			i++
		}
		key := s[start:i]
		skip()
		if i >= len(s) || s[i] != '=' {
			return nil, fmt.Errorf("connection string: missing %q after %q", "=", key)
		}
		i++
		skip()
		var v strings.Builder
		if i < len(s) && s[i] == '\'' {
			i++
			closed := false
			for i < len(s) {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					v.WriteByte(s[i+1])
					i += 2
					continue
				}
				i++
				if c == '\'' {
					closed = true
					break
				}
				v.WriteByte(c)
			}
			if !closed {
				return nil, errors.New("connection string: unterminated quoted value")
			}
		} else {
			for i < len(s) && !isSpace(s[i]) {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				v.WriteByte(s[i])
				i++
			}
		}
		pairs = append(pairs, pair{key, v.String()})
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// quoteValue quotes a keyword/value connection parameter value for libpq.
func quoteValue(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// splitURLPassword removes the password from a postgres:// URL: the one in
// the user info and a password query parameter (which wins, as in libpq).
// The URL is taken apart by hand because libpq URLs may list several
// host:port pairs, which net/url does not accept.
func splitURLPassword(conn string) (rest, password string, err error) {
	scheme, after, _ := strings.Cut(conn, "://")
	authEnd := strings.IndexAny(after, "/?")
	if authEnd < 0 {
		authEnd = len(after)
	}
	authority, tail := after[:authEnd], after[authEnd:]
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		userinfo, hosts := authority[:at], authority[at+1:]
		if user, pw, ok := strings.Cut(userinfo, ":"); ok {
			if password, err = url.PathUnescape(pw); err != nil {
				return "", "", errors.New("connection string: the password in the URL has a bad %-escape")
			}
			userinfo = user
		}
		authority = userinfo + "@" + hosts
	}
	path, query, hasQuery := strings.Cut(tail, "?")
	if hasQuery {
		var kept []string
		for _, kv := range strings.Split(query, "&") {
			k, v, _ := strings.Cut(kv, "=")
			switch {
			case k == "password":
				if password, err = url.PathUnescape(v); err != nil {
					return "", "", errors.New("connection string: the password parameter of the URL has a bad %-escape")
				}
			case pgxOnly[k]:
			default:
				kept = append(kept, kv)
			}
		}
		query = strings.Join(kept, "&")
	}
	rest = scheme + "://" + authority + path
	if query != "" {
		rest += "?" + query
	}
	return rest, password, nil
}

// scrubbedError is an error whose message had its secrets removed; it still
// unwraps to the original, for errors.As on driver errors.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

func scrubError(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	return &scrubbedError{msg: dbconn.Redact(err.Error(), secrets...), err: err}
}
