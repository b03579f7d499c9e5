package schema

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/dbconn"
)

// DumpOptions say what to dump and how.
type DumpOptions struct {
	// ConnString is the source database: a postgres:// URL or a libpq
	// keyword/value string; empty means libpq's PG* environment. Its
	// password goes to pg_dump in $PGPASSWORD, never on the command line,
	// and never appears in errors.
	ConnString string
	// Snapshot is a snapshot id from pg_export_snapshot(), passed to pg_dump
	// as --snapshot. The exporting transaction must stay open until Dump
	// returns. Empty means pg_dump takes its own snapshot.
	Snapshot string
	// Schemas are the schemas to dump; empty means every schema (a
	// whole-database dump, which also keeps database-wide objects such as
	// casts and event triggers). Names are matched literally.
	Schemas []string
	// ExcludeSchemas are schemas left out, also when listed in Schemas.
	ExcludeSchemas []string
	// KeepOwners keeps ownership (ALTER … OWNER TO) and privileges (GRANT,
	// REVOKE, default privileges). By default both are left out, so the
	// objects belong to whoever runs the SQL and no role of the source needs
	// to exist in the target.
	KeepOwners bool
	// LockWaitTimeout makes pg_dump give up instead of waiting longer than
	// this for a table lock (its --lock-wait-timeout); zero waits for ever.
	// pg_dump takes ACCESS SHARE locks on every table it dumps, so a
	// migration holding ACCESS EXCLUSIVE on the source would otherwise stall
	// the run.
	LockWaitTimeout time.Duration
	// IndexedForeignKeys are foreign keys (catalog.Catalog's) that DDL
	// adds apart from the rest of post-data, in IndexedForeignKeys, so that
	// their checks can be planned on their own.
	IndexedForeignKeys map[catalog.DumpTag]bool
	// Source, when set, is the caller's open transaction in Snapshot (such as
	// the one that exported it): the schema and extension lookups run there
	// instead of in a session of their own.
	Source Querier
}

// Querier runs a query; a pgx.Tx is one.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// DDL is the schema of a source database as SQL, in pg_dump's two schema
// sections. Each is a script for the simple query protocol that runs inside
// a transaction block: first PreData, then the rows, then PostData.
type DDL struct {
	// PreData creates schemas, extensions, types, functions, tables (without
	// indexes and constraints other than NOT NULL, CHECK and defaults),
	// sequences, views and materialized views (WITH NO DATA).
	PreData string
	// PostData creates primary keys, unique and foreign-key constraints,
	// indexes, triggers, rules, policies and extended statistics.
	PostData string
	// IndexedForeignKeys, run after PostData, adds the foreign keys of
	// DumpOptions.IndexedForeignKeys (they are then not in PostData); empty
	// when there are none.
	IndexedForeignKeys string
	// Warnings are the lines pg_dump and pg_restore wrote to stderr on
	// success, e.g. objects skipped for lack of privileges.
	Warnings []string
}

// Dump runs pg_dump once on the source, schema only, in custom format, and
// splits its archive into the pre-data and post-data sections with
// pg_restore. Besides the selected schemas it keeps the extensions that live
// in them (see the package documentation). Comments are kept; publications,
// subscriptions, security labels and tablespace assignments are never
// dumped, because a twin must not publish, subscribe to the source, or need
// the source's label providers or disk layout.
//
// With Schemas or ExcludeSchemas, Dump first reads the source's extensions
// over a connection of its own (under the snapshot) and fails with a plain
// message when a named schema does not exist.
//
// Cancelling ctx interrupts the child processes, then kills them.
func Dump(ctx context.Context, tools Tools, opts DumpOptions) (*DDL, error) {
	if tools.PgDump == "" || tools.PgRestore == "" {
		return nil, errors.New("dump schema: no pg_dump and pg_restore (use FindTools)")
	}
	conn, password, err := splitPassword(opts.ConnString)
	if err != nil {
		return nil, fmt.Errorf("dump schema: %w", err)
	}
	secrets := []string{password}

	args, err := dumpArgs(ctx, opts)
	if err != nil {
		return nil, err
	}
	if conn != "" {
		args = append(args, "--dbname="+conn)
	}
	env := os.Environ()
	if password != "" {
		env = append(env, "PGPASSWORD="+password)
	}
	archive, warnings, err := run(ctx, tools.PgDump, args, env, nil, secrets)
	if err != nil {
		return nil, err
	}

	d := &DDL{Warnings: warnings}
	// Each section is one pg_restore run over the archive, with a list of
	// the entries to take when list is set.
	type section struct {
		name, list string
		out        *string
	}
	sections := []section{{"pre-data", "", &d.PreData}, {"post-data", "", &d.PostData}}
	if len(opts.IndexedForeignKeys) > 0 {
		list, _, err := run(ctx, tools.PgRestore, []string{"--list"}, os.Environ(), archive, secrets)
		if err != nil {
			return nil, err
		}
		if rest, keys, ok := splitLists(string(list), opts.IndexedForeignKeys); ok {
			restFile, keysFile, remove, err := writeLists(rest, keys)
			if err != nil {
				return nil, fmt.Errorf("dump schema: write pg_restore's lists: %w", err)
			}
			defer remove()
			sections[1].list = restFile
			sections = append(sections, section{"post-data", keysFile, &d.IndexedForeignKeys})
		}
	}
	for _, sec := range sections {
		args := restoreArgs(sec.name, opts)
		if sec.list != "" {
			args = append(args, "--use-list="+sec.list)
		}
		out, warnings, err := run(ctx, tools.PgRestore, args, os.Environ(), archive, secrets)
		if err != nil {
			return nil, err
		}
		*sec.out = stripRestrict(string(out))
		d.Warnings = append(d.Warnings, warnings...)
	}
	return d, nil
}

// dumpArgs returns pg_dump's arguments, without the connection.
func dumpArgs(ctx context.Context, opts DumpOptions) ([]string, error) {
	args := []string{
		"--format=custom", "--schema-only", "--encoding=UTF8",
		"--no-publications", "--no-subscriptions", "--no-security-labels",
	}
	if opts.Snapshot != "" {
		args = append(args, "--snapshot="+opts.Snapshot)
	}
	if opts.LockWaitTimeout > 0 {
		args = append(args, fmt.Sprintf("--lock-wait-timeout=%dms", max(opts.LockWaitTimeout.Milliseconds(), 1)))
	}
	exts, err := pickExtensions(ctx, opts)
	if err != nil {
		return nil, err
	}
	if len(opts.Schemas) > 0 {
		args = append(args, "--strict-names")
	}
	for _, s := range opts.Schemas {
		args = append(args, "--schema="+quotePattern(s))
	}
	for _, s := range opts.ExcludeSchemas {
		args = append(args, "--exclude-schema="+quotePattern(s))
	}
	for _, e := range exts {
		args = append(args, "--extension="+quotePattern(e))
	}
	return args, nil
}

// pickExtensions decides which extensions pg_dump is told to dump with
// --extension, nil meaning pg_dump's own choice.
//
// pg_dump's own choice is every extension for a whole-database dump and none
// at all once --schema is given. pgtwin wants the extensions whose objects
// live in the dumped schemas (and those in pg_catalog), so:
//   - with Schemas, it names the extensions of the included schemas;
//   - without Schemas but with ExcludeSchemas, it names every extension not
//     in an excluded schema, but only when some extension lives in one
//     (otherwise pg_dump's choice is already right).
//
// The extension list is read under the same snapshot as the dump.
func pickExtensions(ctx context.Context, opts DumpOptions) ([]string, error) {
	if len(opts.Schemas) == 0 && len(opts.ExcludeSchemas) == 0 {
		return nil, nil
	}
	var (
		all     []Extension
		missing []string
		err     error
	)
	if opts.Source != nil {
		all, missing, err = lookUpIn(ctx, opts.Source, opts.Schemas)
		if err != nil {
			err = fmt.Errorf("look up schemas and extensions in the source: %w", err)
		}
	} else {
		all, missing, err = lookUp(ctx, opts.ConnString, opts.Snapshot, opts.Schemas)
	}
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("dump schema: the source database has no schema %s", quoteNames(missing))
	}
	excluded := func(s string) bool { return slices.Contains(opts.ExcludeSchemas, s) }
	var picked []string
	if len(opts.Schemas) > 0 {
		for _, e := range all {
			if !excluded(e.Schema) && (e.Schema == "pg_catalog" || slices.Contains(opts.Schemas, e.Schema)) {
				picked = append(picked, e.Name)
			}
		}
		return picked, nil
	}
	someExcluded := false
	for _, e := range all {
		if excluded(e.Schema) {
			someExcluded = true
		} else {
			picked = append(picked, e.Name)
		}
	}
	if !someExcluded || len(picked) == 0 {
		// With no extension left to name (not even the built-in plpgsql),
		// pg_dump cannot be told "none"; it then dumps them all.
		return nil, nil
	}
	return picked, nil
}

const extensionsQuery = `
SELECT e.extname, n.nspname
  FROM pg_catalog.pg_extension e
  JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
 ORDER BY e.extname`

const missingSchemasQuery = `
SELECT s
  FROM unnest($1::text[]) AS s
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = s)
 ORDER BY s`

// lookUp lists the source's extensions and which of schemas it lacks,
// under snapshot when one is given.
func lookUp(ctx context.Context, connString, snapshot string, schemas []string) (exts []Extension, missing []string, err error) {
	_, password, _ := splitPassword(connString)
	defer func() {
		if err != nil {
			err = scrubError(fmt.Errorf("look up schemas and extensions in the source: %w", err), password)
		}
	}()
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		return nil, nil, err
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "pgtwin"
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only
	if snapshot != "" {
		if _, err := tx.Exec(ctx, "SET TRANSACTION SNAPSHOT "+catalog.QuoteLiteral(snapshot)); err != nil {
			return nil, nil, err
		}
	}
	return lookUpIn(ctx, tx, schemas)
}

// lookUpIn lists the extensions and the missing schemas through q.
func lookUpIn(ctx context.Context, q Querier, schemas []string) (exts []Extension, missing []string, err error) {
	rows, err := q.Query(ctx, extensionsQuery)
	if err != nil {
		return nil, nil, err
	}
	exts, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Extension])
	if err != nil {
		return nil, nil, err
	}
	if len(schemas) > 0 {
		rows, err := q.Query(ctx, missingSchemasQuery, schemas)
		if err != nil {
			return nil, nil, err
		}
		if missing, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return nil, nil, err
		}
	}
	return exts, missing, nil
}

// restoreArgs returns pg_restore's arguments that write one section of the
// archive on stdin as SQL to stdout.
func restoreArgs(section string, opts DumpOptions) []string {
	args := []string{"--section=" + section, "--file=-",
		"--no-tablespaces", "--no-publications", "--no-subscriptions", "--no-security-labels"}
	if !opts.KeepOwners {
		args = append(args, "--no-owner", "--no-privileges")
	}
	return args
}

// run runs prog with args and env, feeding it stdin, and returns its stdout
// and (on success) its stderr lines. On failure the error holds the last
// messages of its stderr, with the secrets removed.
func run(ctx context.Context, prog string, args, env []string, stdin []byte, secrets []string) ([]byte, []string, error) {
	name := filepath.Base(prog)
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = env
	// On cancellation pg_dump gets SIGINT first, on which it cancels its
	// running query on the server (otherwise the session could linger there,
	// waiting for a lock, holding the locks it has); SIGKILL follows if it
	// has not exited after WaitDelay.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	lines := stderrLines(dbconn.Redact(stderr.String(), secrets...))
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, ctxErr)
		}
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return nil, nil, fmt.Errorf("run %s: %w", name, err)
		}
		msg := lastMessages(lines, name)
		if msg == "" {
			msg = "no message"
		}
		return nil, nil, fmt.Errorf("%s (%s): %s", name, exitErr.ProcessState, msg)
	}
	return stdout.Bytes(), lines, nil
}

func stderrLines(s string) []string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// lastMessages picks the last few messages of a PostgreSQL program from its
// stderr lines: those starting with "prog:" (a "detail: Query was:" may be
// followed by many lines of SQL), joined in one line.
func lastMessages(lines []string, prog string) string {
	var msgs []string
	for _, l := range lines {
		if strings.HasPrefix(l, prog+":") {
			msgs = append(msgs, truncate(l, 300))
		}
	}
	if len(msgs) == 0 {
		msgs = lines
	}
	if len(msgs) > 3 {
		msgs = msgs[len(msgs)-3:]
	}
	return strings.Join(msgs, "; ")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func quoteNames(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}
