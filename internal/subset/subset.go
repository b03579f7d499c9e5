// Package subset selects a twin's rows from the source snapshot and streams
// them to the target as it goes.
//
// Every query is a COPY (SELECT …) TO STDOUT on the source whose rows flow
// through pgtwin into a COPY … FROM STDIN on the target. On the way pgtwin
// reads only the key columns of each row: its identity (primary key, or
// tableoid and ctid for tables without one) so that no row is copied twice,
// its foreign-key values so that missing parents are fetched next (up), and,
// for rows reached down from a root, the values its children reference so
// that those are fetched too (down). Lookups are repeated until no new key
// appears, which follows cycles and self-references to their end; each
// picks its access path by size (access.go): batched probes, one set-based
// query, or one read of the table filtered in pgtwin.
//
// Whole tables (every row selected) are read by one query each, as binary
// COPY passed through when their types allow, and keep no key set: their
// children and parents are asked for by one query per key.
package subset

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/sync/errgroup"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/copytext"
	"github.com/pgtwin/pgtwin/internal/mask"
	"github.com/pgtwin/pgtwin/internal/plan"
)

// Source runs COPY … TO STDOUT inside the source snapshot; *pgconn.PgConn
// of a connection in the snapshot's transaction is one.
type Source interface {
	CopyTo(ctx context.Context, w io.Writer, sql string) (pgconn.CommandTag, error)
}

// Sink loads COPY text rows into the target: it runs `COPY table (columns)
// FROM STDIN` reading r to its end.
type Sink func(ctx context.Context, table catalog.Name, columns []string, r io.Reader) error

// TableStats counts what was copied into one table.
type TableStats struct {
	Table    catalog.Name
	Rows     int64
	Bytes    int64
	Queries  int
	Duration time.Duration
	// Masked counts the non-NULL values masked in the stream, per column
	// (in the order of the table's masked columns).
	Masked []MaskedCount
}

// MaskedCount is how many values of a column were masked.
type MaskedCount struct {
	Column string
	Values int64
}

// Options tune a run.
type Options struct {
	// BatchSize is the most keys one lookup query asks for (default 10000).
	BatchSize int
	// MaxRows and MaxBytes, when more than 0, stop the run with an
	// *OverBudget error at the first row that would take the rows (bytes of
	// COPY text) copied over them.
	MaxRows, MaxBytes int64
	// OnRows, when set, is told a table's running counts: when a query on
	// it starts and ends, and every ReportRows rows or ReportBytes bytes in
	// between. It runs on the copying goroutine: keep it cheap.
	OnRows func(table catalog.Name, rows, bytes int64)
	// MaskKey is the key of the plan's masks (plan.Masks).
	MaskKey mask.Key
	// Access forces how every lookup reads its rows (tests); AccessAuto
	// chooses per lookup from the source's statistics.
	Access Access
	// BinarySink, when set, takes whole tables as binary COPY passed
	// through untouched (see tableState.passThrough); nil keeps every
	// table on the text path.
	BinarySink Sink
	// Readers are further sessions in the source snapshot (--jobs): they
	// read the next whole tables while the target loads the current one.
	Readers []Source
}

// Reporting intervals of Options.OnRows, in rows and in bytes.
const (
	ReportRows  = 10000
	ReportBytes = 256 << 10
)

// OverBudget says which budget the rows crossed, and where.
type OverBudget struct {
	Kind  string // "rows" or "bytes"
	Limit int64
	// Rows and Bytes are the counts with the row that crossed the budget
	// (which was not copied); Table is the table it belonged to.
	Rows, Bytes int64
	Table       catalog.Name
}

func (o *OverBudget) Error() string {
	n := o.Rows
	if o.Kind == "bytes" {
		n = o.Bytes
	}
	return fmt.Sprintf("the twin crossed its budget of %d %s at %d, in %s", o.Limit, o.Kind, n, o.Table.Display())
}

type mode int

const (
	modeUp    mode = iota // rows selected as parents: pull their parents only
	modeDown              // rows reached down from a root: pull parents and children
	modeWhole             // every row of a whole table, read once: no key bookkeeping
)

// Run copies the plan's rows from src to sink and returns per-table
// statistics in the catalog's table order.
func Run(ctx context.Context, src Source, sink Sink, cat *catalog.Catalog, res *plan.Resolved, p *plan.Plan, opts Options) ([]TableStats, error) {
	e, err := newEngine(src, sink, cat, res, p, opts)
	if err != nil {
		return nil, err
	}
	err = e.run(ctx)
	if e.over != nil {
		// The pipes carry the budget error to both COPYs, which may
		// report it in their own words first.
		err = e.over
	}
	var out []TableStats
	for _, n := range e.order {
		ts := e.tables[n]
		if rm := ts.masker; rm != nil {
			for j, i := range rm.idx {
				ts.stats.Masked = append(ts.stats.Masked, MaskedCount{Column: rm.cols[i], Values: rm.counts[j]})
			}
		}
		out = append(out, ts.stats)
	}
	// On an error, the statistics say how far the run got.
	return out, err
}

type engine struct {
	src        Source
	readers    []Source
	sink       Sink
	binarySink Sink
	res        *plan.Resolved
	batch      int
	access     Access

	tables map[catalog.Name]*tableState
	order  []catalog.Name // sorted, for deterministic work order
	edges  []*edgeState   // sorted like the plan's edges

	// Running totals, checked per row against the budgets and the next
	// report (math.MaxInt64: never).
	rows, bytes         int64
	maxRows, maxBytes   int64
	nextRows, nextBytes int64
	onRows              func(catalog.Name, int64, int64)
	over                *OverBudget
}

type tableState struct {
	t          *catalog.Table
	from       string   // FROM clause: ONLY t for ordinary tables
	cols       []string // copied columns (generated ones are left to the target)
	selectList string
	extra      int   // trailing fields that are not copied (tableoid, ctid)
	idIdx      []int // fields forming the row's identity
	// whole: every row is in the twin (copy: all, a root with all, or
	// reached whole down a validated key); it is read once, by one query,
	// and keeps no key set. wholeDown: every row is also reached down from
	// a root, so its children are asked for by one query per key, not by
	// key values.
	whole, wholeDown bool
	// passThrough: the whole table's rows need no reading (no key of theirs
	// is followed row by row) and every column has a built-in type, so its
	// binary COPY goes to the target untouched. Masking a table must turn
	// this off: a transform needs the text path.
	passThrough bool
	masker      *rowMasker // masks columns of new rows; nil when none is masked
	copied      *keySet
	downDone    *keySet
	up          []*edgeState // keys followed to this table's parents, row by row
	down        []*edgeState // keys followed to this table's children, row by row
	stats       TableStats
}

type edgeState struct {
	fk            *catalog.ForeignKey
	child, parent *tableState
	childIdx      []int // the key's fields in the child's copied columns
	parentIdx     []int // the referenced fields in the parent's copied columns
	parentIsID    bool  // the referenced columns are the parent's identity
	childrenWhere string
	// validated: the source guarantees every non-NULL key has its parent
	// (a declared, validated constraint), so "every parent" is "IS NOT NULL".
	validated bool
	// up, down: the plan follows the key in that direction.
	up, down bool

	upAsked, downAsked *keySet
	upPending          keyQueue // parent key values to look up
	keyBuf             [][]byte // scratch for the key of the row at hand
	downPending        keyQueue // parent key values whose children to look up
}

func newEngine(src Source, sink Sink, cat *catalog.Catalog, res *plan.Resolved, p *plan.Plan, opts Options) (*engine, error) {
	e := &engine{src: src, readers: opts.Readers, sink: sink, binarySink: opts.BinarySink, res: res, batch: opts.BatchSize, access: opts.Access,
		tables:  map[catalog.Name]*tableState{},
		maxRows: math.MaxInt64, maxBytes: math.MaxInt64, nextRows: math.MaxInt64, nextBytes: math.MaxInt64, onRows: opts.OnRows}
	if e.batch <= 0 {
		e.batch = 10000
	}
	if opts.MaxRows > 0 {
		e.maxRows = opts.MaxRows
	}
	if opts.MaxBytes > 0 {
		e.maxBytes = opts.MaxBytes
		// The byte budget counts COPY text; binary rows would count
		// differently.
		e.binarySink = nil
	}
	masks := map[catalog.Name][]*plan.MaskedColumn{}
	for _, m := range p.Masks {
		masks[m.Name] = append(masks[m.Name], m)
	}
	for _, pt := range p.Tables {
		t := cat.Table(pt.Name)
		ts, err := newTableState(t, res, masks[t.Name], opts.MaskKey)
		if err != nil {
			return nil, err
		}
		e.tables[t.Name] = ts
		e.order = append(e.order, t.Name)
	}
	sort.Slice(e.order, func(i, j int) bool { return e.order[i].Less(e.order[j]) })
	for _, r := range res.Roots {
		if ts := e.tables[r.Table]; ts != nil && wholeRoot(r) {
			ts.whole, ts.wholeDown = true, true
		}
	}
	for _, pe := range p.Edges {
		if !pe.Up && !pe.Down {
			continue
		}
		child, parent := e.tables[pe.FK.Child], e.tables[pe.FK.Parent]
		es := &edgeState{
			fk: pe.FK, child: child, parent: parent,
			childIdx:      indexes(child.cols, pe.FK.ChildColumns),
			parentIdx:     indexes(parent.cols, pe.FK.ParentColumns),
			parentIsID:    sameColumns(pe.FK.ParentColumns, parent.t.PrimaryKey),
			childrenWhere: pe.ChildrenWhere,
			validated:     !pe.FK.Virtual && !pe.FK.NotValid,
			up:            pe.Up, down: pe.Down,
			upAsked: newKeySet(), downAsked: newKeySet(),
		}
		e.edges = append(e.edges, es)
	}
	// A child every row of which hangs off a whole-down parent by a NOT NULL,
	// validated key is whole too (and whole-down), transitively.
	for changed := true; changed; {
		changed = false
		for _, es := range e.edges {
			if es.down && es.parent.wholeDown && !es.child.wholeDown &&
				es.childrenWhere == "" && es.validated && allNotNull(es.child.t, es.fk.ChildColumns) {
				es.child.whole, es.child.wholeDown = true, true
				changed = true
			}
		}
	}
	hasDown := map[*tableState]bool{}
	for _, es := range e.edges {
		if es.down {
			hasDown[es.parent] = true
		}
	}
	for _, es := range e.edges {
		up, down := es.up, es.down
		// Keys are followed row by row only where needed: not into a whole
		// parent (all its rows are there), not from a whole child (one
		// semi-join asks for its parents), not from a whole-down parent
		// (one query asks for every child), and not into a whole child
		// that pulls no children of its own.
		if up && !es.parent.whole && !es.child.whole {
			es.child.up = append(es.child.up, es)
		}
		if down && !es.parent.wholeDown && !es.child.wholeDown && !(es.child.whole && !hasDown[es.child]) {
			es.parent.down = append(es.parent.down, es)
		}
	}
	return e, nil
}

// newTableState prepares the copying of table t: its columns and select
// list (sql masks evaluated by the source), its row identity, its masker,
// and whether its rows can pass through in binary.
func newTableState(t *catalog.Table, res *plan.Resolved, masks []*plan.MaskedColumn, key mask.Key) (*tableState, error) {
	ts := &tableState{t: t, copied: newKeySet(), downDone: newKeySet(), whole: res.Copy[t.Name] == config.CopyAll}
	ts.stats.Table = t.Name
	ts.from = plan.FromClause(t)
	sqlMasks := map[string]string{}
	for _, m := range masks {
		if m.Spec.Mask == mask.SQL {
			sqlMasks[m.Column] = m.SQL
		}
	}
	var quoted []string
	builtin := true
	for _, c := range t.Columns {
		if c.Generated {
			continue
		}
		ts.cols = append(ts.cols, c.Name)
		if expr, ok := sqlMasks[c.Name]; ok {
			quoted = append(quoted, sqlMasked(expr, c.Type))
		} else {
			quoted = append(quoted, pgx.Identifier{c.Name}.Sanitize())
			// Binary COPY carries type OIDs inside arrays and
			// composites; only built-in types have the same OIDs on
			// the target.
			builtin = builtin && c.TypeOID > 0 && c.TypeOID < firstNormalOID
		}
	}
	var err error
	if ts.masker, err = newRowMasker(key, ts.cols, masks); err != nil {
		return nil, err
	}
	// A masked table takes the text path, where its rows are masked.
	ts.passThrough = builtin && ts.masker == nil && len(sqlMasks) == 0
	if len(t.PrimaryKey) > 0 {
		ts.idIdx = indexes(ts.cols, t.PrimaryKey)
	} else {
		quoted = append(quoted, "tableoid", "ctid")
		ts.extra = 2
		ts.idIdx = []int{len(ts.cols), len(ts.cols) + 1}
	}
	ts.selectList = strings.Join(quoted, ", ")
	return ts, nil
}

// firstNormalOID is PostgreSQL's FirstNormalObjectId: OIDs below it are the
// built-in objects, the same on every server of a major version.
const firstNormalOID = 16384

// wholeRoot reports whether a root selects every row of its table.
func wholeRoot(r plan.ResolvedRoot) bool {
	return r.All || (r.Where == "" && r.Limit == nil && r.Percent != nil && *r.Percent >= 100)
}

func allNotNull(t *catalog.Table, cols []string) bool {
	for _, c := range cols {
		if col := t.Column(c); col == nil || !col.NotNull {
			return false
		}
	}
	return true
}

func (e *engine) run(ctx context.Context) error {
	// Whole tables first, each by one query; then the queries that stand
	// for keys of whole tables: the children of whole-down parents and the
	// parents of whole children.
	if err := e.fetchWholeTables(ctx); err != nil {
		return err
	}
	for _, es := range e.edges {
		if es.down && es.parent.wholeDown && !es.child.wholeDown && (!es.child.whole || len(es.child.down) > 0) {
			q := childrenOfAllQuery(es)
			if err := e.fetch(ctx, es.child, q, modeDown, nil); err != nil {
				return fmt.Errorf("children of %s via %s: %w", es.parent.t.Name.Display(), es.fk.Name, err)
			}
		}
		if es.up && es.child.whole && !es.parent.whole {
			q := parentsOfAllQuery(es)
			if err := e.fetch(ctx, es.parent, q, modeUp, nil); err != nil {
				return fmt.Errorf("parents of %s via %s: %w", es.child.t.Name.Display(), es.fk.Name, err)
			}
		}
	}
	for _, r := range e.res.Roots {
		ts := e.tables[r.Table]
		if ts.whole && (ts.wholeDown || wholeRoot(r)) {
			continue
		}
		if err := e.fetch(ctx, ts, rootQuery(ts, r), modeDown, nil); err != nil {
			return fmt.Errorf("root %s: %w", r.Table.Display(), err)
		}
	}
	for {
		progressed := false
		for _, es := range e.edges {
			for !es.downPending.empty() {
				if err := e.lookup(ctx, es, es.child, es.fk.ChildColumns, es.childIdx, &es.downPending, es.childrenWhere, modeDown); err != nil {
					return fmt.Errorf("children of %s via %s: %w", es.parent.t.Name.Display(), es.fk.Name, err)
				}
				progressed = true
			}
			for !es.upPending.empty() {
				if err := e.lookup(ctx, es, es.parent, es.fk.ParentColumns, es.parentIdx, &es.upPending, "", modeUp); err != nil {
					return fmt.Errorf("parents of %s via %s: %w", es.child.t.Name.Display(), es.fk.Name, err)
				}
				progressed = true
			}
		}
		if !progressed {
			return nil
		}
	}
}

// fetchWholeTables copies the whole tables. With readers, the binary
// COPYs are read ahead on every source session while the target takes
// them, one table after the other.
func (e *engine) fetchWholeTables(ctx context.Context) error {
	var parts []wholePart
	for _, n := range e.order {
		ts := e.tables[n]
		switch {
		case !ts.whole:
		case ts.passThrough && e.binarySink != nil && len(e.readers) > 0:
			parts = append(parts, e.binaryParts(ts)...)
		default:
			if err := e.fetchWhole(ctx, ts); err != nil {
				return err
			}
		}
	}
	if len(parts) == 0 {
		return nil
	}
	queries := make([]string, len(parts))
	for i, p := range parts {
		queries[i] = p.query
	}
	pctx, cancel := context.WithCancel(ctx)
	pre, wait := prefetchAll(pctx, append([]Source{e.src}, e.readers...), queries)
	defer wait()
	defer cancel()
	for i, p := range parts {
		if err := e.fetchBinary(ctx, p, pre[i]); err != nil {
			return err
		}
	}
	return nil
}

// wholePart is one binary COPY of a whole table's rows: of the table, or
// of one leaf partition of it.
type wholePart struct {
	ts    *tableState
	into  catalog.Name // the table the target's COPY fills
	query string
}

// binaryParts returns the COPYs that pass whole table ts through. A
// partitioned table is read and loaded leaf by leaf: a leaf created in the
// load transaction takes its rows WITH (FREEZE), which a partitioned table
// cannot, and the target routes no row. Rows in foreign partitions, or in
// leaves of schemas the twin leaves out, go through the table itself.
func (e *engine) binaryParts(ts *tableState) []wholePart {
	t := ts.t
	leaves := t.Kind == catalog.Partitioned && !t.ForeignPartitions && len(t.Partitions) > 0
	for _, p := range t.Partitions {
		leaves = leaves && e.res.Included(p)
	}
	if !leaves {
		return []wholePart{{ts, t.Name, binaryQuery(ts, ts.from)}}
	}
	parts := make([]wholePart, len(t.Partitions))
	for i, p := range t.Partitions {
		parts[i] = wholePart{ts, p, binaryQuery(ts, "ONLY "+p.String())}
	}
	return parts
}

func binaryQuery(ts *tableState, from string) string {
	return fmt.Sprintf("COPY (SELECT %s FROM %s) TO STDOUT (FORMAT binary)", quoteColumns(ts.cols), from)
}

// fetchWhole copies every row of a whole table: binary COPY passed through
// when the table allows it, one query on the text path otherwise.
func (e *engine) fetchWhole(ctx context.Context, ts *tableState) error {
	if ts.passThrough && e.binarySink != nil {
		for _, p := range e.binaryParts(ts) {
			if err := e.fetchBinary(ctx, p, e.src); err != nil {
				return err
			}
		}
		return nil
	}
	q := fmt.Sprintf("COPY (SELECT %s FROM %s) TO STDOUT", ts.selectList, ts.from)
	return e.fetch(ctx, ts, q, modeWhole, nil)
}

// fetch runs one COPY query on the source and passes the rows not copied
// before to the target, queueing the lookups they call for. When filter is
// set, rows it rejects are skipped as if the query had not returned them.
// The target's COPY starts with the first new row, so a query that finds
// nothing new costs the target nothing.
func (e *engine) fetch(ctx context.Context, ts *tableState, query string, m mode, filter func([][]byte) bool) error {
	return e.stream(ctx, ts, ts.t.Name, query, e.src, e.sink, func(r io.Reader, write, _ func([]byte) error) error {
		return e.scan(r, ts, m, filter, write)
	})
}

// stream runs query on the source and hands its output to read, whose
// write passes bytes (a row at a time) to sink, into table into (ts's table
// or one of its partitions), counting them against the budgets and
// reporting progress as ts's; raw passes bytes that are no row.
func (e *engine) stream(ctx context.Context, ts *tableState, into catalog.Name, query string, src Source, sink Sink, read func(r io.Reader, write, raw func([]byte) error) error) error {
	start := time.Now()
	defer func() { ts.stats.Duration += time.Since(start) }()
	ts.stats.Queries++
	e.report(ts)
	defer e.report(ts)

	g, gctx := errgroup.WithContext(ctx)
	srcR, srcW := io.Pipe()
	g.Go(func() error {
		// CopyTo writes each row (one CopyData message) on its own; a
		// buffer hands them to the pipe, a goroutine switch per write,
		// in large chunks instead.
		bw := bufio.NewWriterSize(srcW, 256<<10)
		_, err := src.CopyTo(gctx, bw, query)
		if err == nil {
			err = bw.Flush()
		}
		srcW.CloseWithError(err)
		return err
	})
	var (
		dstW    *io.PipeWriter
		buf     *bufio.Writer
		started bool
	)
	startSink := func() {
		var dstR *io.PipeReader
		dstR, dstW = io.Pipe()
		buf = bufio.NewWriterSize(dstW, 256<<10)
		started = true
		g.Go(func() error {
			err := sink(gctx, into, ts.cols, dstR)
			dstR.CloseWithError(err)
			return err
		})
	}
	err := read(srcR, func(line []byte) error {
		if !started {
			startSink()
		}
		e.rows++
		e.bytes += int64(len(line))
		if e.rows > e.maxRows || e.bytes > e.maxBytes || e.rows >= e.nextRows || e.bytes >= e.nextBytes {
			if err := e.checkpoint(ts, len(line)); err != nil {
				return err
			}
		}
		ts.stats.Rows++
		ts.stats.Bytes += int64(len(line))
		_, err := buf.Write(line)
		return err
	}, func(b []byte) error {
		if !started {
			return nil
		}
		_, err := buf.Write(b)
		return err
	})
	srcR.CloseWithError(err)
	if started {
		if err == nil {
			err = buf.Flush()
		}
		dstW.CloseWithError(err)
	}
	if werr := g.Wait(); werr != nil {
		return werr
	}
	return err
}

// checkpoint runs when the running totals, with a row of n bytes of table
// ts that is about to be copied, reach a budget or the next report.
func (e *engine) checkpoint(ts *tableState, n int) error {
	switch {
	case e.rows > e.maxRows:
		e.over = &OverBudget{Kind: "rows", Limit: e.maxRows, Rows: e.rows, Bytes: e.bytes, Table: ts.t.Name}
	case e.bytes > e.maxBytes:
		e.over = &OverBudget{Kind: "bytes", Limit: e.maxBytes, Rows: e.rows, Bytes: e.bytes, Table: ts.t.Name}
	}
	if e.over != nil {
		e.rows--
		e.bytes -= int64(n)
		return e.over
	}
	e.report(ts)
	return nil
}

// report tells Options.OnRows the counts of table ts.
func (e *engine) report(ts *tableState) {
	if e.onRows == nil {
		return
	}
	e.nextRows, e.nextBytes = e.rows+ReportRows, e.bytes+ReportBytes
	e.onRows(ts.t.Name, ts.stats.Rows, ts.stats.Bytes)
}

// scan reads the rows of one query and calls write with each new row.
// This is the one place where a new row's output bytes are made.
func (e *engine) scan(r io.Reader, ts *tableState, m mode, filter func([][]byte) bool, write func([]byte) error) error {
	rd := copytext.NewReader(r)
	var fields, idBuf [][]byte
	var out []byte
	for {
		row, err := rd.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		fields = row.Split(fields)
		if len(fields) != len(ts.cols)+ts.extra {
			return fmt.Errorf("%s: row has %d fields, want %d", ts.t.Name.Display(), len(fields), len(ts.cols)+ts.extra)
		}
		if filter != nil && !filter(fields) {
			continue
		}
		isNew := m == modeWhole
		if !isNew && !ts.whole {
			idBuf = pick(idBuf[:0], fields, ts.idIdx)
			isNew = ts.copied.add(idBuf)
		}
		if isNew {
			switch {
			case ts.masker != nil:
				if out, err = ts.masker.apply(out[:0], fields[:len(ts.cols)]); err != nil {
					return err
				}
			case ts.extra > 0:
				out = copytext.AppendRow(out[:0], fields[:len(ts.cols)])
			default:
				out = append(row.Line, '\n')
			}
			if err := write(out); err != nil {
				return err
			}
			for _, es := range ts.up {
				es.queueUp(fields)
			}
		}
		if m == modeDown && len(ts.down) > 0 {
			idBuf = pick(idBuf[:0], fields, ts.idIdx)
			if ts.downDone.add(idBuf) {
				for _, es := range ts.down {
					es.queueDown(fields)
				}
			}
		}
	}
}

// queueUp asks for the parent of a newly copied child row, unless the key
// is NULL (MATCH SIMPLE with a NULL, or MATCH FULL all NULL: no parent is
// needed), the parent is known to be copied, or it was asked for before.
func (es *edgeState) queueUp(childFields [][]byte) {
	es.keyBuf = pick(es.keyBuf[:0], childFields, es.childIdx)
	key := es.keyBuf
	if anyNull(key) || (es.parentIsID && es.parent.copied.has(key)) || !es.upAsked.add(key) {
		return
	}
	es.upPending.push(key)
}

// queueDown asks for the children of a row reached down from a root.
func (es *edgeState) queueDown(parentFields [][]byte) {
	es.keyBuf = pick(es.keyBuf[:0], parentFields, es.parentIdx)
	key := es.keyBuf
	if anyNull(key) || !es.downAsked.add(key) {
		return
	}
	es.downPending.push(key)
}

// pick appends the fields at idx to dst, a scratch slice: key sets and
// queues copy what they keep, so no row allocates for its keys.
func pick(dst, fields [][]byte, idx []int) [][]byte {
	for _, j := range idx {
		dst = append(dst, fields[j])
	}
	return dst
}

func indexes(cols, names []string) []int {
	out := make([]int, len(names))
	for i, n := range names {
		out[i] = -1
		for j, c := range cols {
			if c == n {
				out[i] = j
			}
		}
	}
	return out
}

func sameColumns(a, b []string) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	seen := map[string]bool{}
	for _, c := range a {
		seen[c] = true
	}
	for _, c := range b {
		if !seen[c] {
			return false
		}
	}
	return true
}
