package verify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/load"
)

// batchSize is how many twin rows one source query looks up (a variable
// so that tests can make batches small).
var batchSize = 5000

// Options are the optional parts of a verify run.
type Options struct {
	// Source, when set, is a connection to the database the twin was made
	// from: every masked column the marker lists is compared with it, in
	// a READ ONLY REPEATABLE READ transaction of its own.
	Source *pgx.Conn
	// SourceName describes Source for the report (dbconn.Describe: no
	// password).
	SourceName string
}

// ErrSourceIsTwin is returned when Options.Source is connected to the
// twin's own database: every value would equal itself.
var ErrSourceIsTwin = errors.New("the source is the twin itself (the source server sees the twin's session in its database)")

// MaskingCheck is the outcome of comparing the twin's masked columns with
// the source.
type MaskingCheck struct {
	// Checked is set when a source was given and the twin has a marker:
	// the columns below were compared with it.
	Checked bool `json:"checked"`
	// Reason says why Checked is false.
	Reason string `json:"reason,omitempty"`
	// Source describes the source compared with (no password).
	Source string `json:"source,omitempty"`
	// Masked is the number of masked columns the marker lists.
	Masked int `json:"masked_columns"`
	// Columns has one entry per masked column the marker lists, in its
	// order, when Checked.
	Columns []MaskedColumnCheck `json:"columns"`
	// Warnings are doubts about the comparison (not failures).
	Warnings []string `json:"warnings"`
}

// Leaks returns the columns some of whose values equal the source's.
func (m *MaskingCheck) Leaks() []MaskedColumnCheck {
	var out []MaskedColumnCheck
	for _, c := range m.Columns {
		if c.Unmasked > 0 {
			out = append(out, c)
		}
	}
	return out
}

// MaskedColumnCheck is one masked column compared with the source. Rows
// are matched by the table's primary key. No value is ever reported: only
// counts, and the primary keys of example rows.
type MaskedColumnCheck struct {
	Table  catalog.Name `json:"table"`
	Column string       `json:"column"`
	Mask   string       `json:"mask"`
	// Checked is false when the rows cannot be matched with the source's;
	// NotChecked says why.
	Checked    bool   `json:"checked"`
	NotChecked string `json:"not_checked,omitempty"`
	// Rows is the number of twin rows matched with a source row.
	Rows int64 `json:"rows"`
	// NotInSource counts the twin rows whose key the source no longer has
	// (deleted since the snapshot).
	NotInSource int64 `json:"not_in_source"`
	// Masked counts the values that differ from the source's.
	Masked int64 `json:"masked"`
	// Null counts the rows NULL in both.
	Null int64 `json:"null"`
	// Unchanged counts the values equal to the source's where the mask
	// may keep a value: a constant (value) that happens to be the
	// source's, json paths that select nothing in the value, or a value
	// with nothing the mask replaces ("" or "-" for text masks, no digit
	// for digits, infinity or a BC date for date masks, NaN and zero
	// for numeric).
	Unchanged int64 `json:"unchanged"`
	// Unmasked counts the values equal to the source's: source data in
	// the twin. Any makes the report fail.
	Unmasked int64 `json:"unmasked"`
	// Examples are the primary keys of up to MaxExamples rows holding
	// an unmasked value.
	Examples []Key `json:"examples"`
}

// maskMayKeep lists the masks whose output may legitimately equal the
// source value.
var maskMayKeep = map[string]bool{"value": true, "json paths": true}

// sessionSettings make both sides print values alike, so that text
// compares as the values do.
const sessionSettings = `SELECT pg_catalog.set_config('search_path', '', true),
       pg_catalog.set_config('DateStyle', 'ISO, YMD', true),
       pg_catalog.set_config('IntervalStyle', 'postgres', true),
       pg_catalog.set_config('TimeZone', 'UTC', true),
       pg_catalog.set_config('extra_float_digits', '3', true),
       pg_catalog.set_config('bytea_output', 'hex', true)`

// checkMasking compares the marker's masked columns with the source.
func checkMasking(ctx context.Context, twin pgx.Tx, marker *Marker, opts Options, out *MaskingCheck) error {
	out.Columns, out.Warnings = []MaskedColumnCheck{}, []string{}
	if marker == nil {
		out.Reason = "no marker: not a pgtwin twin"
		return nil
	}
	out.Masked = len(marker.Masked)
	if opts.Source == nil {
		out.Reason = "no source given"
		return nil
	}
	out.Checked, out.Source = true, opts.SourceName
	if _, err := twin.Exec(ctx, sessionSettings); err != nil {
		return fmt.Errorf("set the session for comparing: %w", err)
	}
	src, err := opts.Source.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("begin a read-only transaction on the source: %w", err)
	}
	defer src.Rollback(context.WithoutCancel(ctx))
	if _, err := src.Exec(ctx, sessionSettings); err != nil {
		return fmt.Errorf("set the source session: %w", err)
	}
	if err := notTheTwin(ctx, twin, src); err != nil {
		return err
	}
	if !sameDatabase(marker.Source, opts.SourceName) {
		out.Warnings = append(out.Warnings, fmt.Sprintf("the twin was made from %s, and is compared with %s: if that is another database, values that differ prove nothing", marker.Source, opts.SourceName))
	}
	// The marker's columns, grouped by table in the marker's order.
	var tables []catalog.Name
	byTable := map[catalog.Name][]load.MaskedColumn{}
	for _, m := range marker.Masked {
		if _, ok := byTable[m.Table]; !ok {
			tables = append(tables, m.Table)
		}
		byTable[m.Table] = append(byTable[m.Table], m)
	}
	results := map[load.MaskedColumn]MaskedColumnCheck{}
	for _, t := range tables {
		cols, err := checkTable(ctx, twin, src, t, byTable[t])
		if err != nil {
			return fmt.Errorf("compare the masked columns of %s with the source: %w", t.Display(), err)
		}
		for i, m := range byTable[t] {
			results[m] = cols[i]
		}
	}
	for _, m := range marker.Masked {
		out.Columns = append(out.Columns, results[m])
	}
	return nil
}

// notTheTwin fails when the source connection is in the twin's database:
// the source server then sees the twin's session (its pid, in its own
// database, since the same postmaster start).
func notTheTwin(ctx context.Context, twin, src pgx.Tx) error {
	var (
		pid     int32
		db      string
		started time.Time
	)
	if err := twin.QueryRow(ctx, `SELECT pg_catalog.pg_backend_pid(), pg_catalog.current_database()::pg_catalog.text, pg_catalog.pg_postmaster_start_time()`).Scan(&pid, &db, &started); err != nil {
		return fmt.Errorf("identify the twin's session: %w", err)
	}
	var same bool
	if err := src.QueryRow(ctx, `SELECT pg_catalog.pg_postmaster_start_time() = $3
   AND pg_catalog.current_database()::pg_catalog.text = $2
   AND EXISTS (SELECT FROM pg_catalog.pg_stat_activity WHERE pid = $1)`, pid, db, started).Scan(&same); err != nil {
		return fmt.Errorf("look for the twin's session on the source: %w", err)
	}
	if same {
		return ErrSourceIsTwin
	}
	return nil
}

// twinTableQuery reads a table of the twin: whether it is partitioned, its
// primary key's columns and their types (qualified: search_path is
// empty), and which of the columns $3 it has, with whether each is an
// array.
const twinTableQuery = `
SELECT c.relkind = 'p',
       ARRAY(
         SELECT a.attname FROM pg_catalog.unnest(k.conkey) WITH ORDINALITY AS u(attnum, ord)
         JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = u.attnum
         ORDER BY u.ord
       )::pg_catalog.text[],
       ARRAY(
         SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.unnest(k.conkey) WITH ORDINALITY AS u(attnum, ord)
         JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = u.attnum
         ORDER BY u.ord
       )::pg_catalog.text[],
       ARRAY(
         SELECT a.attname FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attname = ANY ($3::pg_catalog.text[])
         ORDER BY a.attnum
       )::pg_catalog.text[],
       ARRAY(
         SELECT a.attname FROM pg_catalog.pg_attribute a
         JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
         LEFT JOIN pg_catalog.pg_type bt ON bt.oid = ty.typbasetype
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attname = ANY ($3::pg_catalog.text[])
           AND COALESCE(bt.typcategory, ty.typcategory) = 'A'
       )::pg_catalog.text[]
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_constraint k ON k.conrelid = c.oid AND k.contype = 'p'
WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`

// sourceColumnsQuery lists which of the columns $3 the source's table
// has; NULL when it has no such table.
const sourceColumnsQuery = `
SELECT ARRAY(
         SELECT a.attname FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attname = ANY ($3::pg_catalog.text[])
       )::pg_catalog.text[]
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`

// checkTable compares the masked columns cols of table t with the source,
// returning one result per column, in cols' order.
func checkTable(ctx context.Context, twin, src pgx.Tx, t catalog.Name, cols []load.MaskedColumn) ([]MaskedColumnCheck, error) {
	out := make([]MaskedColumnCheck, len(cols))
	names := make([]string, len(cols))
	for i, c := range cols {
		out[i] = MaskedColumnCheck{Table: t, Column: c.Column, Mask: c.Mask, Examples: []Key{}}
		names[i] = c.Column
	}
	notChecked := func(reason string) ([]MaskedColumnCheck, error) {
		for i := range out {
			out[i].NotChecked = reason
		}
		return out, nil
	}
	var (
		partitioned               bool
		pk, pkTypes, have, arrays []string
	)
	err := twin.QueryRow(ctx, twinTableQuery, t.Schema, t.Name, names).Scan(&partitioned, &pk, &pkTypes, &have, &arrays)
	if errors.Is(err, pgx.ErrNoRows) {
		return notChecked("the twin has no such table")
	}
	if err != nil {
		return nil, fmt.Errorf("read the table in the twin: %w", err)
	}
	if len(pk) == 0 {
		return notChecked("the table has no primary key: its rows cannot be matched with the source's")
	}
	if masked := maskedKey(pk, names); len(masked) > 0 {
		return notChecked(fmt.Sprintf("its primary key (%s) is masked: its rows cannot be matched with the source's", quoteAll(masked)))
	}
	// Columns the twin lacks are not checked; the rest are.
	var check []int
	for i, c := range cols {
		if !slices.Contains(have, c.Column) {
			out[i].NotChecked = "the twin has no such column"
			continue
		}
		check = append(check, i)
	}
	if len(check) == 0 {
		return out, nil
	}
	var srcHave []string
	err = src.QueryRow(ctx, sourceColumnsQuery, t.Schema, t.Name, append(slices.Clone(pk), names...)).Scan(&srcHave)
	if errors.Is(err, pgx.ErrNoRows) {
		return notChecked("the source has no such table")
	}
	if err != nil {
		return nil, fmt.Errorf("read the table in the source: %w", err)
	}
	if missing := missingFrom(pk, srcHave); len(missing) > 0 {
		return notChecked(fmt.Sprintf("the source's table has no column %s of the twin's primary key", quoteAll(missing)))
	}
	check = slices.DeleteFunc(check, func(i int) bool {
		if !slices.Contains(srcHave, cols[i].Column) {
			out[i].NotChecked = "the source has no such column"
			return true
		}
		return false
	})
	if len(check) == 0 {
		return out, nil
	}
	for _, i := range check {
		out[i].Checked = true
	}
	cmp := &tableComparison{
		table: t, partitioned: partitioned, pk: pk, pkTypes: pkTypes,
		out: out, check: check,
	}
	for _, i := range check {
		cmp.cols = append(cmp.cols, cols[i].Column)
		cmp.arrays = append(cmp.arrays, slices.Contains(arrays, cols[i].Column))
	}
	return out, cmp.run(ctx, twin, src)
}

// maskedKey returns the primary key columns among the masked ones.
func maskedKey(pk, masked []string) []string {
	var out []string
	for _, c := range pk {
		if slices.Contains(masked, c) {
			out = append(out, c)
		}
	}
	return out
}

func missingFrom(want, have []string) []string {
	var out []string
	for _, c := range want {
		if !slices.Contains(have, c) {
			out = append(out, c)
		}
	}
	return out
}

func quoteAll(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = catalog.QuoteIfNeeded(c)
	}
	return strings.Join(q, ", ")
}

// tableComparison streams a table's rows from the twin and looks them up
// in the source, batchSize keys at a time.
type tableComparison struct {
	table       catalog.Name
	partitioned bool
	pk, pkTypes []string
	cols        []string // the masked columns compared
	arrays      []bool   // whether each of cols is an array
	out         []MaskedColumnCheck
	check       []int // out[check[j]] is the result of cols[j]
}

// twinRow is one row of the twin: its primary key and masked values as
// text.
type twinRow struct {
	key    []string
	values []*string
}

func (tc *tableComparison) selectList(alias string) string {
	var items []string
	for _, c := range append(slices.Clone(tc.pk), tc.cols...) {
		items = append(items, alias+"."+pgx.Identifier{c}.Sanitize()+"::pg_catalog.text")
	}
	return strings.Join(items, ", ")
}

func (tc *tableComparison) run(ctx context.Context, twin, src pgx.Tx) error {
	rows, err := twin.Query(ctx, fmt.Sprintf("SELECT %s FROM %s t", tc.selectList("t"), from(tc.table, tc.partitioned)))
	if err != nil {
		return fmt.Errorf("read the twin: %w", err)
	}
	defer rows.Close()
	n := len(tc.pk) + len(tc.cols)
	batch := make([]twinRow, 0, batchSize)
	for rows.Next() {
		vals := make([]*string, n)
		dst := make([]any, n)
		for i := range vals {
			dst[i] = &vals[i]
		}
		if err := rows.Scan(dst...); err != nil {
			return fmt.Errorf("read the twin: %w", err)
		}
		r := twinRow{key: make([]string, len(tc.pk)), values: vals[len(tc.pk):]}
		for i := range tc.pk {
			if vals[i] == nil { // a primary key is NOT NULL
				return fmt.Errorf("read the twin: a NULL in primary key column %s", catalog.QuoteIfNeeded(tc.pk[i]))
			}
			r.key[i] = *vals[i]
		}
		batch = append(batch, r)
		if len(batch) == batchSize {
			if err := tc.compare(ctx, src, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the twin: %w", err)
	}
	if len(batch) > 0 {
		return tc.compare(ctx, src, batch)
	}
	return nil
}

// compare looks batch up in the source by primary key and counts. The keys
// travel as text arrays, unnested and cast to the key's types on the
// source (ROWS FROM: a schema-qualified unnest takes one array), so the
// join is typed (and can use the primary key's index);
// WITH ORDINALITY gives each source row the index of its twin row. No temp
// table: the source may be a hot standby or a SELECT-only role.
func (tc *tableComparison) compare(ctx context.Context, src pgx.Tx, batch []twinRow) error {
	args := make([]any, len(tc.pk))
	var cols, casts, on []string
	for i := range tc.pk {
		keys := make([]string, len(batch))
		for j, r := range batch {
			keys[j] = r.key[i]
		}
		args[i] = keys
		cols = append(cols, fmt.Sprintf("pg_catalog.unnest($%d::pg_catalog.text[])", i+1))
		casts = append(casts, fmt.Sprintf("k%d", i+1))
		on = append(on, fmt.Sprintf("s.%s = k.k%d::%s", pgx.Identifier{tc.pk[i]}.Sanitize(), i+1, tc.pkTypes[i]))
	}
	var vals []string
	for _, c := range tc.cols {
		vals = append(vals, "s."+pgx.Identifier{c}.Sanitize()+"::pg_catalog.text")
	}
	query := fmt.Sprintf(`SELECT k.ord, %s
FROM ROWS FROM (%s) WITH ORDINALITY AS k(%s, ord)
JOIN %s s ON %s`,
		strings.Join(vals, ", "), strings.Join(cols, ", "), strings.Join(casts, ", "),
		from(tc.table, tc.partitioned), strings.Join(on, " AND "))
	rows, err := src.Query(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("read the source: %w", err)
	}
	found := make([]bool, len(batch))
	var ord int64
	srcVals := make([]*string, len(tc.cols))
	dst := []any{&ord}
	for i := range srcVals {
		dst = append(dst, &srcVals[i])
	}
	_, err = pgx.ForEachRow(rows, dst, func() error {
		if ord < 1 || ord > int64(len(batch)) || found[ord-1] {
			return fmt.Errorf("read the source: key %d matched twice", ord)
		}
		found[ord-1] = true
		r := batch[ord-1]
		for j := range tc.cols {
			tc.count(&tc.out[tc.check[j]], tc.arrays[j], r, r.values[j], srcVals[j])
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the source: %w", err)
	}
	for i := range batch {
		if !found[i] {
			for _, k := range tc.check {
				tc.out[k].NotInSource++
			}
		}
	}
	return nil
}

// count adds one compared value to c: tv is the twin's, sv the source's.
func (tc *tableComparison) count(c *MaskedColumnCheck, array bool, r twinRow, tv, sv *string) {
	c.Rows++
	switch {
	case tv == nil && sv == nil:
		c.Null++
	case tv == nil || sv == nil || *tv != *sv:
		c.Masked++
	case maskMayKeep[c.Mask] || keptByDesign(c.Mask, array, *tv):
		c.Unchanged++
	default:
		c.Unmasked++
		if len(c.Examples) < MaxExamples {
			k := make(Key, len(r.key))
			for i := range r.key {
				k[i] = &r.key[i]
			}
			c.Examples = append(c.Examples, k)
		}
	}
}

// keptByDesign reports whether the mask returns v (a column's text) as it
// is because v holds nothing the mask replaces (internal/mask documents
// these): text and email replace ASCII letters and digits, digits only
// digits; date and timestamp keep infinity and dates BC; numeric keeps
// NaN, the infinities and zero. On an array, every element must be such
// a value (NULL elements stay NULL).
func keptByDesign(mask string, array bool, v string) bool {
	if !array {
		return keptScalar(mask, v)
	}
	elems, ok := arrayElements(v)
	if !ok {
		return false
	}
	for _, e := range elems {
		if e != nil && !keptScalar(mask, *e) {
			return false
		}
	}
	return true
}

func keptScalar(mask, v string) bool {
	switch mask {
	case "text", "email":
		return !strings.ContainsFunc(v, isASCIIAlnum)
	case "digits":
		return !strings.ContainsFunc(v, isASCIIDigit)
	case "date", "timestamp":
		return v == "infinity" || v == "-infinity" || strings.HasSuffix(v, " BC")
	case "numeric":
		switch v {
		case "NaN", "Infinity", "-Infinity":
			return true
		}
		// Zero, however it is written (-0, 0.000, 0e5): no digit to move.
		mant, _, _ := strings.Cut(strings.ToLower(v), "e")
		return !strings.ContainsAny(mant, "123456789")
	}
	return false
}

func isASCIIAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || isASCIIDigit(r)
}

func isASCIIDigit(r rune) bool { return r >= '0' && r <= '9' }

// arrayElements splits an array's text output (array_out: braces, commas,
// double-quoted elements with backslash escapes, unquoted NULL) into its
// elements, nil for NULL; ok is false for text it does not understand
// (such as a leading dimension decoration).
func arrayElements(v string) (elems []*string, ok bool) {
	if !strings.HasPrefix(v, "{") {
		return nil, false
	}
	var (
		cur    strings.Builder
		quoted bool // the current element was quoted
		have   bool // an element has begun
	)
	end := func() {
		if !have {
			return
		}
		s := cur.String()
		if !quoted && strings.EqualFold(s, "NULL") {
			elems = append(elems, nil)
		} else {
			elems = append(elems, &s)
		}
		cur.Reset()
		quoted, have = false, false
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '{', '}', ',':
			end()
		case '"':
			quoted, have = true, true
			for i++; i < len(v) && v[i] != '"'; i++ {
				if v[i] == '\\' && i+1 < len(v) {
					i++
				}
				cur.WriteByte(v[i])
			}
			if i >= len(v) {
				return nil, false
			}
		default:
			have = true
			cur.WriteByte(c)
		}
	}
	return elems, true
}

// sameDatabase reports whether two descriptions (user@host:port/db) name
// the same database; the user may differ (pgtwin reads as a SELECT-only
// role, verify may run as another).
func sameDatabase(a, b string) bool {
	_, ha, okA := strings.Cut(a, "@")
	_, hb, okB := strings.Cut(b, "@")
	if !okA || !okB {
		return a == b
	}
	return ha == hb
}
