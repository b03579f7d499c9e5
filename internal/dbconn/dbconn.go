// Package dbconn finds and opens pgtwin's database connections the way
// PostgreSQL users expect: libpq URLs or keyword/value strings, from a flag,
// a named environment variable, or libpq's own PG* variables and ~/.pgpass.
// Passwords never appear in what it returns.
package dbconn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Endpoint is a connection string and where it came from.
type Endpoint struct {
	// Role is "source" or "target", for messages.
	Role string
	DSN  string
	// From says where DSN came from: "--source", "$PROD_DATABASE_URL", or
	// "the PG* environment".
	From string
	// Tracer, when set, is the connections' pgx tracer (the log of
	// --log-level).
	Tracer pgx.QueryTracer
}

// Resolve picks the connection string for role: the flag value when set,
// else the environment variable env, else libpq's PG* variables when any is
// set. It fails when none of them says anything.
func Resolve(role, flagName, flagValue, env string, getenv func(string) string) (Endpoint, error) {
	if flagValue != "" {
		return Endpoint{Role: role, DSN: flagValue, From: "--" + flagName}, nil
	}
	if v := getenv(env); v != "" {
		return Endpoint{Role: role, DSN: v, From: "$" + env}, nil
	}
	for _, v := range []string{"PGHOST", "PGDATABASE", "PGSERVICE", "PGPORT", "PGUSER"} {
		if getenv(v) != "" {
			return Endpoint{Role: role, DSN: "", From: "the PG* environment"}, nil
		}
	}
	return Endpoint{}, fmt.Errorf("no %s database: pass --%s URL or set $%s (a postgres:// URL or a keyword/value string)", role, flagName, env)
}

// Config parses the endpoint's connection string; the error never holds the
// password.
func (e Endpoint) Config() (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(e.DSN)
	if err != nil {
		reason := parseReason(err)
		if strings.Contains(reason, "sslmode is invalid") {
			reason = "sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full"
		}
		return nil, fmt.Errorf("%s connection string from %s is not valid: %s", e.Role, e.From, Redact(reason, e.DSN))
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 15 * time.Second
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "pgtwin"
	}
	cfg.Tracer = e.Tracer
	return cfg, nil
}

// Describe names the endpoint's server without secrets (user@host:port/db),
// or its role when the connection string does not parse.
func (e Endpoint) Describe() string {
	cfg, err := e.Config()
	if err != nil {
		return e.Role
	}
	return Describe(&cfg.Config)
}

// parseReason strips pgconn's "cannot parse `…`:" prefix, which quotes the
// (redacted) string back at the user.
func parseReason(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "`: "); i >= 0 {
		msg = msg[i+3:]
	}
	return msg
}

// Connect opens a connection and turns the usual failures into one line
// that says what is wrong and what to do.
func (e Endpoint) Connect(ctx context.Context) (*pgx.Conn, error) {
	cfg, err := e.Config()
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, e.explain(cfg, err)
	}
	return conn, nil
}

// Describe names the endpoint without secrets: user@host:port/db.
func Describe(cfg *pgconn.Config) string {
	host := cfg.Host
	if strings.HasPrefix(host, "/") {
		host = "socket " + host
	}
	return fmt.Sprintf("%s@%s:%d/%s", cfg.User, host, cfg.Port, cfg.Database)
}

func (e Endpoint) explain(cfg *pgx.ConnConfig, err error) error {
	where := fmt.Sprintf("%s database %s (from %s)", e.Role, Describe(&cfg.Config), e.From)
	var pgErr *pgconn.PgError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var netErr net.Error
	msg := ""
	switch {
	case errors.As(err, &pgErr):
		switch pgErr.Code {
		case pgerrcode.InvalidPassword:
			msg = fmt.Sprintf("password authentication failed for user %q: check the password in %s or ~/.pgpass", cfg.User, e.From)
		case pgerrcode.InvalidAuthorizationSpecification:
			msg = fmt.Sprintf("the server refused user %q (%s): check pg_hba.conf or the user name", cfg.User, pgErr.Message)
		case pgerrcode.InvalidCatalogName:
			msg = fmt.Sprintf("database %q does not exist on that server: check the database name in %s", cfg.Database, e.From)
		default:
			msg = fmt.Sprintf("%s (SQLSTATE %s)", pgErr.Message, pgErr.Code)
		}
	case errors.As(err, &dnsErr):
		msg = fmt.Sprintf("host %q not found: check the host name in %s", dnsErr.Name, e.From)
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		msg = "connection timed out: check the host, port and firewall, or raise connect_timeout"
	case errors.As(err, &opErr) && strings.Contains(opErr.Err.Error(), "refused"):
		msg = "connection refused: is the server running and accepting connections on that host and port?"
	case strings.Contains(err.Error(), "server refused TLS connection"):
		msg = "the server does not support SSL: use sslmode=prefer or sslmode=disable"
	case strings.Contains(err.Error(), "no such file or directory") && strings.HasPrefix(cfg.Host, "/"):
		msg = "no server is listening on that Unix socket: is the server running?"
	default:
		msg = unwrapConnect(err)
	}
	return &ConnectError{msg: Redact(where+": "+msg, e.DSN, cfg.Password)}
}

// ConnectError is a connection that could not be made, said in one line
// without secrets.
type ConnectError struct{ msg string }

func (e *ConnectError) Error() string { return e.msg }

// unwrapConnect returns the innermost useful message of a pgconn.ConnectError.
func unwrapConnect(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// Redact removes secrets from s: the password of each connection string
// among secrets (a postgres:// URL or keyword/value pairs, parsed by pgx or,
// when pgx cannot parse it, leniently), and each secret itself, taken
// literally (a bare password, such as $PGPASSWORD's). Each is removed in
// the forms it can take in a connection string too: percent-encoded as in
// a URL, backslash-escaped as in a quoted keyword value.
func Redact(s string, secrets ...string) string { return redact(s, "xxxxx", secrets) }

func redact(s, mask string, secrets []string) string {
	var words []string
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		words = append(words, sec)
		if cfg, err := pgconn.ParseConfig(sec); err == nil && cfg.Password != "" {
			words = append(words, cfg.Password)
		}
		words = append(words, lenientPasswords(sec)...)
	}
	var forms []string
	for _, w := range words {
		if w == "" {
			continue
		}
		forms = append(forms, w, url.PathEscape(w), url.QueryEscape(w),
			url.UserPassword("", w).String()[1:],
			strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(w))
	}
	// Every byte of every occurrence (overlapping ones too) of every form
	// in the original is masked; each run of masked bytes becomes one mask.
	// Masking the original, rather than replacing form after form, keeps a
	// mask from being masked again and new occurrences from being made.
	covered := make([]bool, len(s))
	found := false
	for _, f := range forms {
		if f == "" {
			continue
		}
		for i := 0; i <= len(s)-len(f); {
			j := strings.Index(s[i:], f)
			if j < 0 {
				break
			}
			for k := i + j; k < i+j+len(f); k++ {
				covered[k] = true
			}
			found = true
			i += j + 1
		}
	}
	if !found {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if !covered[i] {
			b.WriteByte(s[i])
		} else if i == 0 || !covered[i-1] {
			b.WriteString(mask)
		}
	}
	return b.String()
}

// lenientPasswords finds the passwords of a connection string that pgx may
// not accept (a bad port, an unknown sslmode): a URL's user info and
// password parameter, a keyword string's password values.
func lenientPasswords(conn string) []string {
	var pws []string
	add := func(raw string, unescape func(string) (string, error)) {
		pws = append(pws, raw)
		if v, err := unescape(raw); err == nil {
			pws = append(pws, v)
		}
	}
	if _, after, ok := strings.Cut(conn, "://"); ok {
		authEnd := strings.IndexAny(after, "/?")
		if authEnd < 0 {
			authEnd = len(after)
		}
		if at := strings.LastIndexByte(after[:authEnd], '@'); at >= 0 {
			if _, pw, ok := strings.Cut(after[:at], ":"); ok && pw != "" {
				add(pw, url.PathUnescape)
			}
		}
		if _, query, ok := strings.Cut(after, "?"); ok {
			for _, kv := range strings.Split(query, "&") {
				if k, v, _ := strings.Cut(kv, "="); k == "password" && v != "" {
					add(v, url.QueryUnescape)
				}
			}
		}
		return pws
	}
	// keyword = value: the value after each "password =", quoted or bare.
	rest := conn
	for {
		i := strings.Index(rest, "password")
		if i < 0 {
			return pws
		}
		rest = strings.TrimLeft(rest[i+len("password"):], " \t\n\r\f\v")
		if !strings.HasPrefix(rest, "=") {
			continue
		}
		rest = strings.TrimLeft(rest[1:], " \t\n\r\f\v")
		var v strings.Builder
		quoted := strings.HasPrefix(rest, "'")
		j := 0
		if quoted {
			j = 1
		}
		for ; j < len(rest); j++ {
			c := rest[j]
			if c == '\\' && j+1 < len(rest) {
				j++
				v.WriteByte(rest[j])
				continue
			}
			if quoted && c == '\'' || !quoted && strings.ContainsRune(" \t\n\r\f\v", rune(c)) {
				break
			}
			v.WriteByte(c)
		}
		if v.Len() > 0 {
			pws = append(pws, v.String(), rest[:j])
		}
		rest = rest[j:]
	}
}
