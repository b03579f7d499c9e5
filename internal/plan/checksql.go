package plan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/config"
)

// Condition embeds a user's boolean fragment (where, children_where) the
// way CheckSQL checked it: in parentheses, each on its own line, so that a
// trailing -- comment ends before the closing parenthesis.
func Condition(frag string) string { return "(\n" + frag + "\n)" }

// OrderByClause embeds an ORDER BY list the way CheckSQL checked a user's:
// on a line of its own, then a line break.
func OrderByClause(orderBy string) string { return "ORDER BY\n" + orderBy + "\n" }

// CheckSQL has the source server check every SQL fragment of the config:
// each root's where and order_by, and each foreign-key rule's
// children_where. tx must be READ ONLY (CheckSQL refuses otherwise); it is
// left usable.
//
// For each fragment CheckSQL first rejects, without the server, what would
// not stay one expression inside its parentheses (a ';', an unbalanced ')',
// an open quote or comment; see config.CheckFragment). It then runs the root's
// own query (RootQuery, the one the extraction copies) for one row:
//
//	SELECT 1 FROM [ONLY] <table> WHERE (<where>) [AND <sample>] [ORDER BY <order_by>] LIMIT 1
//
// with the extended protocol (which refuses a second statement) inside a
// savepoint that is always rolled back, so one failure does not hide the
// next. Running it, rather than only preparing it, catches what prepare
// cannot: a function that writes, such as nextval(), fails with "cannot
// execute nextval() in a read-only transaction" — but only when the server
// evaluates the fragment, that is, when the table has a row for it to look
// at. Beyond that, the extraction itself runs in a READ ONLY transaction, so
// a writing fragment can fail a run but never write.
//
// Server errors become *config.Error values ("FILE:LINE: roots[0].where:
// MESSAGE (at character N: "…")"), wrapping the *pgconn.PgError, joined and
// sorted by line. Other errors (a lost connection, a cancelled context) are
// returned as they are, wrapped.
func CheckSQL(ctx context.Context, tx pgx.Tx, r *Resolved) error {
	var readOnly string
	if err := tx.QueryRow(ctx, "SELECT current_setting('transaction_read_only')").Scan(&readOnly); err != nil {
		return fmt.Errorf("check sql: %w", err)
	}
	if readOnly != "on" {
		return errors.New("check sql: the transaction must be READ ONLY")
	}
	c := &sqlChecker{tx: tx, r: r, p: config.NewErrorList(r.File)}
	for i, root := range r.Roots {
		e := fmt.Sprintf("roots[%d]", i)
		whereOK := true
		if root.Where != "" {
			ok, err := c.check(ctx, e+".where", root.Line, ResolvedRoot{Table: root.Table, Where: root.Where, Percent: root.Percent})
			if err != nil {
				return err
			}
			whereOK = ok
		}
		if root.OrderBy != "" && whereOK {
			if _, err := c.check(ctx, e+".order_by", root.Line, ResolvedRoot{Table: root.Table, Where: root.Where, Percent: root.Percent, OrderBy: root.OrderBy}); err != nil {
				return err
			}
		}
	}
	type rule struct {
		fk *catalog.ForeignKey
		r  ResolvedFKRule
	}
	var rules []rule
	for fk, fr := range r.Rules {
		if fr.ChildrenWhere != "" {
			rules = append(rules, rule{fk, fr})
		}
	}
	slices.SortFunc(rules, func(a, b rule) int {
		return cmp.Or(cmp.Compare(a.r.Line, b.r.Line), cmp.Compare(a.r.index, b.r.index))
	})
	for _, x := range rules {
		p := fmt.Sprintf("foreign_keys[%d].children_where", x.r.index)
		if _, err := c.check(ctx, p, x.r.Line, ResolvedRoot{Table: x.fk.Child, Where: x.r.ChildrenWhere}); err != nil {
			return err
		}
	}
	if err := c.maskExprs(ctx); err != nil {
		return err
	}
	return c.p.Err()
}

// maskExprs checks the expression of each sql mask as the extraction
// uses it: cast to its column's type.
func (c *sqlChecker) maskExprs(ctx context.Context) error {
	if c.r.Masking == nil {
		return nil
	}
	done := map[string]bool{}
	for _, m := range c.r.Masking.Rules {
		path := m.Entry + ".sql"
		if m.SQL == "" || done[path] {
			continue
		}
		done[path] = true
		line := c.r.line(path, m.Line)
		if err := config.CheckFragment(m.SQL); err != nil {
			c.p.Add(line, path, "%v", err)
			continue
		}
		prefix := "SELECT CAST((\n"
		sql := prefix + m.SQL + "\n) AS " + m.Type + ")\nFROM " + m.Table.String() + "\nLIMIT 1"
		if _, err := c.query(ctx, path, line, utf8.RuneCountInString(prefix), sql, m.SQL); err != nil {
			return err
		}
	}
	return nil
}

type sqlChecker struct {
	tx pgx.Tx
	r  *Resolved
	p  *config.ErrorList
}

// check checks one fragment of a root (or of a key's children) of table:
// where alone when orderBy is "", else orderBy after where. Both are
// checked inside the root's query (RootQuery, percent included) with a
// limit of one row; where alone without the order a limit brings, so that
// the server stops at the first row that passes. It reports whether the
// fragment passed; the error is for failures that are not the config's.
func (c *sqlChecker) check(ctx context.Context, path string, fallback int, root ResolvedRoot) (bool, error) {
	line := c.r.line(path, fallback)
	frag := root.Where
	if root.OrderBy != "" {
		frag = root.OrderBy
	}
	if err := config.CheckFragment(frag); err != nil {
		c.p.Add(line, path, "%v", err)
		return false, nil
	}
	one := int64(1)
	root.Limit = &one
	if root.OrderBy == "" {
		root.Limit = nil
	}
	q := RootQuery(c.r.table(root.Table), root, "1")
	start := q.WhereAt
	if root.OrderBy != "" {
		start = q.OrderByAt
	} else {
		q.SQL += "\nLIMIT 1"
	}
	return c.query(ctx, path, line, start, q.SQL, frag)
}

// query runs sql, in which frag starts at character start (0-based), and
// records a server error as a problem of the fragment at path.
func (c *sqlChecker) query(ctx context.Context, path string, line int, start int, sql, frag string) (bool, error) {
	qerr := c.run(ctx, sql)
	var pgErr *pgconn.PgError
	switch {
	case qerr == nil:
		return true, nil
	case errors.As(qerr, &pgErr):
		c.p.Add(line, path, "%s", serverMessage(pgErr, start, frag)).Err = pgErr
		return false, nil
	default:
		return false, fmt.Errorf("check %s: %w", path, qerr)
	}
}

// run runs sql in a savepoint that is rolled back whatever happens. It
// returns the query's error; a failing savepoint command is returned too,
// wrapped, as the transaction is then unusable.
func (c *sqlChecker) run(ctx context.Context, sql string) error {
	conn := c.tx.Conn().PgConn()
	if err := conn.Exec(ctx, "SAVEPOINT pgtwin_check").Close(); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	// ExecParams: extended protocol, unnamed statement, no statement cache.
	// The server refuses to parse more than one statement this way.
	_, qerr := conn.ExecParams(ctx, sql, nil, nil, nil, nil).Close()
	if err := conn.Exec(ctx, "ROLLBACK TO SAVEPOINT pgtwin_check; RELEASE SAVEPOINT pgtwin_check").Close(); err != nil {
		return errors.Join(qerr, fmt.Errorf("rollback to savepoint: %w", err))
	}
	return qerr
}

// serverMessage phrases a server error about a fragment that starts at
// character start (0-based) of the query.
func serverMessage(e *pgconn.PgError, start int, frag string) string {
	msg := e.Message
	if e.Position > 0 {
		n := utf8.RuneCountInString(frag)
		off := int(e.Position) - 1 - start
		switch {
		case off >= 0 && off < n:
			rest := []rune(strings.TrimRightFunc(frag, unicode.IsSpace))
			rest = rest[min(off, len(rest)):]
			if len(rest) > 40 {
				rest = append(rest[:40], '…')
			}
			msg += fmt.Sprintf(" (at character %d: %q)", off+1, string(rest))
		case off >= n && e.Code == pgerrcode.SyntaxError:
			msg = "syntax error at the end of the expression"
		}
	}
	if e.Hint != "" {
		msg += "; hint: " + e.Hint
	}
	if e.Code == pgerrcode.ReadOnlySQLTransaction {
		// nextval(), a function that writes.
		msg += "; a fragment may only read (pgtwin never writes to the source)"
	}
	return msg
}
