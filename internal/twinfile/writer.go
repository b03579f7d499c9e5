package twinfile

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/catalog"
)

// Writer writes one twin file as a stream: nothing is held but the current
// block's buffer and the per-table checksums.
type Writer struct {
	comp   io.WriteCloser
	out    *bufio.Writer
	sum    hash.Hash // the end checksum: every byte outside the rows
	header Header
	tables map[catalog.Name]*tableSum
	rows   int64
	bytes  int64
	err    error
}

// tableSum accumulates one table's blocks.
type tableSum struct {
	rows, bytes int64
	sums        hash.Hash // over the blocks' checksums
}

func newTableSum() *tableSum { return &tableSum{sums: sha256.New()} }

func (t *tableSum) add(rows, bytes int64, blockSum string) {
	t.rows += rows
	t.bytes += bytes
	t.sums.Write([]byte(blockSum))
}

// NewWriter starts a twin file on w, compressed with c, and writes the
// header h (its Format is set here).
func NewWriter(w io.Writer, c Compression, h Header) (*Writer, error) {
	comp, err := compressor(w, c)
	if err != nil {
		return nil, err
	}
	h.Format = FormatVersion
	fw := &Writer{comp: comp, out: bufio.NewWriterSize(comp, 1<<20), sum: sha256.New(), header: h, tables: map[catalog.Name]*tableSum{}}
	for _, t := range h.Tables {
		fw.tables[t] = newTableSum()
	}
	restore := "psql --single-transaction -v ON_ERROR_STOP=1 -f FILE"
	switch c {
	case Zstd:
		restore = "zstd -dc FILE | psql --single-transaction -v ON_ERROR_STOP=1 -f -"
	case Gzip:
		restore = "gzip -dc FILE | psql --single-transaction -v ON_ERROR_STOP=1 -f -"
	}
	fw.text(fmt.Sprintf("%s, format %d: a partial twin of %s as of %s, made by pgtwin %s.\n"+
		"-- Restore it with all of pgtwin's checks: pgtwin restore --input FILE --target URL\n"+
		"-- or with the standard tools into an empty database: %s\n",
		firstLine, FormatVersion, oneLine(h.Source), h.SnapshotAt.UTC().Format("2006-01-02 15:04:05Z"), oneLine(h.PgtwinVersion), restore))
	fw.directive("header", marshal(h))
	return fw, fw.err
}

// oneLine keeps a value from breaking the comment line it is written in.
func oneLine(s string) string { return strings.NewReplacer("\n", " ", "\r", " ").Replace(s) }

// text writes s, outside the rows, into the end checksum.
func (w *Writer) text(s string) {
	if w.err != nil {
		return
	}
	w.sum.Write([]byte(s))
	_, w.err = w.out.WriteString(s)
}

func (w *Writer) directive(kind string, arg []byte) {
	w.text(directive + kind + " " + string(arg) + "\n")
}

// Section starts the named section (one of Sections).
func (w *Writer) Section(name string) error {
	w.text(directive + "section " + name + "\n")
	return w.err
}

// SQL writes a script of SQL statements.
func (w *Writer) SQL(sql string) error {
	return w.sql(sql, "")
}

// CutSQL writes the statement that cuts the foreign key named key.
func (w *Writer) CutSQL(key, sql string) error {
	return w.sql(sql, key)
}

func (w *Writer) sql(sql, cut string) error {
	if strings.TrimSpace(sql) == "" {
		return w.err
	}
	// psql runs the file as one script: each item must end its last
	// statement (an extra ";" after a comment is an empty statement).
	if !strings.HasSuffix(strings.TrimRight(sql, " \t\n"), ";") {
		sql = strings.TrimRight(sql, " \t\n") + "\n;"
	}
	if !strings.HasSuffix(sql, "\n") {
		sql += "\n"
	}
	w.directive("sql", marshal(sqlItem{Bytes: int64(len(sql)), Cut: cut}))
	w.text(sql)
	return w.err
}

// Copy writes the COPY text rows read from rows (to its end) as a block of
// table's rows in columns, and returns how many rows and bytes it held.
func (w *Writer) Copy(table catalog.Name, columns []string, rows io.Reader) (int64, int64, error) {
	cols := make([]string, len(columns))
	for i, c := range columns {
		cols[i] = pgx.Identifier{c}.Sanitize()
	}
	w.directive("copy", marshal(copyItem{Table: table, Columns: columns}))
	w.text(fmt.Sprintf("COPY %s (%s) FROM stdin;\n", table.String(), strings.Join(cols, ", ")))
	if w.err != nil {
		return 0, 0, w.err
	}
	block := &rowsWriter{out: w.out, sum: sha256.New()}
	if _, err := io.Copy(block, rows); err != nil {
		w.err = err
		return 0, 0, err
	}
	if block.bytes > 0 && !block.endsLine {
		w.err = fmt.Errorf("copy rows of %s: the last row has no line end", table.Display())
		return 0, 0, w.err
	}
	w.text("\\.\n")
	sum := hex.EncodeToString(block.sum.Sum(nil))
	w.directive("copied", marshal(copiedItem{Rows: block.rows, Bytes: block.bytes, SHA256: sum}))
	t := w.tables[table]
	if t == nil {
		t = newTableSum()
		w.tables[table] = t
		w.header.Tables = append(w.header.Tables, table)
	}
	t.add(block.rows, block.bytes, sum)
	w.rows += block.rows
	w.bytes += block.bytes
	return block.rows, block.bytes, w.err
}

// rowsWriter passes a block's rows to the file, counting and summing them.
type rowsWriter struct {
	out         io.Writer
	sum         hash.Hash
	rows, bytes int64
	endsLine    bool
}

func (r *rowsWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r.sum.Write(p)
	r.rows += int64(bytes.Count(p, []byte{'\n'}))
	r.bytes += int64(len(p))
	r.endsLine = p[len(p)-1] == '\n'
	return r.out.Write(p)
}

// Close writes the manifest and the end line, and flushes the compressor;
// it does not close the underlying writer. It returns the manifest.
func (w *Writer) Close() (*Manifest, error) {
	m := w.manifest()
	w.directive("manifest", marshal(m))
	// The end line is not part of its own checksum.
	if w.err == nil {
		_, w.err = fmt.Fprintf(w.out, "%send %s\n", directive, marshal(endItem{SHA256: hex.EncodeToString(w.sum.Sum(nil))}))
	}
	if w.err == nil {
		w.err = w.out.Flush()
	}
	if err := w.comp.Close(); w.err == nil {
		w.err = err
	}
	if w.err != nil {
		return nil, fmt.Errorf("write the twin file: %w", w.err)
	}
	return m, nil
}

func (w *Writer) manifest() *Manifest {
	m := &Manifest{Header: w.header, Rows: w.rows, Bytes: w.bytes, Counts: []Count{}}
	for _, t := range w.header.Tables {
		s := w.tables[t]
		m.Counts = append(m.Counts, Count{Table: t, Rows: s.rows, Bytes: s.bytes, SHA256: hex.EncodeToString(s.sums.Sum(nil))})
	}
	return m
}

// Abort stops the compressor of a file that will not be finished.
func (w *Writer) Abort() { w.comp.Close() }
