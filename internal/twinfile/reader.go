package twinfile

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"

	"github.com/pgtwin/pgtwin/internal/catalog"
)

// Kind is what an Item holds.
type Kind int

// The kinds of items.
const (
	KindSection Kind = iota + 1 // the start of a section (Section)
	KindSQL                     // a script of SQL (SQL; Cut names the key a cut statement cuts)
	KindCopy                    // a block of COPY text rows (Table, Columns, Rows)
)

// Item is one piece of a twin file.
type Item struct {
	Kind    Kind
	Section string
	SQL     string
	Cut     string
	Table   catalog.Name
	Columns []string
	// Rows reads the block's COPY text rows, without the end line "\.";
	// at its end it checks the block's row count and checksum and returns
	// a *FormatError instead of io.EOF when they differ. Valid until the
	// next call to Next.
	Rows RowsReader
}

// RowsReader reads a block of COPY text rows and counts them as it goes.
type RowsReader interface {
	io.Reader
	// Counted returns the rows and bytes read so far.
	Counted() (rows, bytes int64)
}

// Reader reads a twin file item by item, checking it as it goes.
type Reader struct {
	br          *bufio.Reader
	close       func()
	Compression Compression
	Header      Header
	sum         hash.Hash
	tables      map[catalog.Name]*tableSum
	rows        *rowsReader
	manifest    *Manifest
	done        bool
}

// maxLine bounds a directive line (the manifest of a huge schema fits);
// maxSQL bounds one SQL item (pg_dump's pre-data of a huge schema fits).
const (
	maxLine = 64 << 20
	maxSQL  = 1 << 30
)

// NewReader reads the start of a twin file: its compression, first line
// and header. A file of a newer format, or not a twin file at all, gives a
// *FormatError.
func NewReader(r io.Reader) (*Reader, error) {
	raw := bufio.NewReaderSize(r, 1<<16)
	script, closeFn, c, err := decompressor(raw)
	if err != nil {
		return nil, err
	}
	fr := &Reader{br: bufio.NewReaderSize(script, 1<<20), close: closeFn, Compression: c, sum: sha256.New(), tables: map[catalog.Name]*tableSum{}}
	head, err := fr.br.Peek(len(firstLine))
	if err != nil && !errors.Is(err, io.EOF) {
		fr.Close()
		return nil, fr.readErr(err)
	}
	if string(head) != firstLine {
		fr.Close()
		return nil, formatErr("not a pgtwin twin file (it does not begin with %q; make one with pgtwin dump)", firstLine)
	}
	if err := fr.readHeader(); err != nil {
		fr.Close()
		return nil, err
	}
	return fr, nil
}

func (r *Reader) readHeader() error {
	for {
		line, err := r.line()
		if err != nil {
			return err
		}
		kind, arg, ok := parseDirective(line)
		if !ok {
			if strings.HasPrefix(line, "--") {
				continue // the human-readable lines
			}
			return formatErr("the twin file has no header before %q", truncate(line))
		}
		if kind != "header" {
			return formatErr("the twin file has no header before its %q line", kind)
		}
		var probe struct {
			Format int `json:"format"`
		}
		if err := json.Unmarshal([]byte(arg), &probe); err != nil {
			return formatErr("the twin file's header is damaged (not valid JSON: %v)", err)
		}
		if probe.Format > FormatVersion || probe.Format < 1 {
			return formatErr("the twin file has format version %d; this pgtwin reads format %d: use the pgtwin that made it, or a newer one", probe.Format, FormatVersion)
		}
		if err := json.Unmarshal([]byte(arg), &r.Header); err != nil {
			return formatErr("the twin file's header is damaged: %v", err)
		}
		for _, t := range r.Header.Tables {
			r.tables[t] = newTableSum()
		}
		return nil
	}
}

// Close releases the decompressor.
func (r *Reader) Close() {
	if r.close != nil {
		r.close()
		r.close = nil
	}
}

// Next returns the next item. After the last one it checks the end line's
// checksum and the manifest against what was read and returns io.EOF; any
// difference is a *FormatError.
func (r *Reader) Next() (*Item, error) {
	if r.rows != nil {
		if _, err := io.Copy(io.Discard, r.rows); err != nil {
			return nil, err
		}
		r.rows = nil
	}
	if r.done {
		return nil, io.EOF
	}
	line, err := r.line()
	if err != nil {
		return nil, err
	}
	kind, arg, ok := parseDirective(line)
	if !ok {
		return nil, formatErr("unexpected line in the twin file: %q (it was changed after pgtwin wrote it)", truncate(line))
	}
	switch kind {
	case "section":
		return &Item{Kind: KindSection, Section: arg}, nil
	case "sql":
		return r.sqlItem(arg)
	case "copy":
		return r.copyItem(arg)
	case "manifest":
		if err := r.end(arg); err != nil {
			return nil, err
		}
		return nil, io.EOF
	}
	return nil, formatErr("unknown item %q in the twin file (it was changed, or made by a newer pgtwin)", kind)
}

func (r *Reader) sqlItem(arg string) (*Item, error) {
	var it sqlItem
	if err := json.Unmarshal([]byte(arg), &it); err != nil || it.Bytes < 0 || it.Bytes > maxSQL {
		return nil, formatErr("a sql item of the twin file is damaged: %q", truncate(arg))
	}
	// Read as the bytes come, not into a buffer of the size the item
	// claims: a damaged length must not allocate it.
	var sql strings.Builder
	if _, err := io.CopyN(io.MultiWriter(&sql, r.sum), r.br, it.Bytes); err != nil {
		return nil, r.readErr(err)
	}
	return &Item{Kind: KindSQL, SQL: sql.String(), Cut: it.Cut}, nil
}

func (r *Reader) copyItem(arg string) (*Item, error) {
	var it copyItem
	if err := json.Unmarshal([]byte(arg), &it); err != nil || it.Table.Name == "" || len(it.Columns) == 0 {
		return nil, formatErr("a copy item of the twin file is damaged: %q", truncate(arg))
	}
	line, err := r.line()
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(line, "COPY ") || !strings.HasSuffix(line, " FROM stdin;") {
		return nil, formatErr("the rows of %s in the twin file do not begin with a COPY statement", it.Table.Display())
	}
	r.rows = &rowsReader{r: r, table: it.Table, sum: sha256.New(), atLineStart: true}
	return &Item{Kind: KindCopy, Table: it.Table, Columns: it.Columns, Rows: r.rows}, nil
}

// end checks the manifest and the end line, and that nothing follows.
func (r *Reader) end(arg string) error {
	var m Manifest
	if err := json.Unmarshal([]byte(arg), &m); err != nil {
		return formatErr("the twin file's manifest is damaged: %v", err)
	}
	want := hex.EncodeToString(r.sum.Sum(nil))
	line, err := r.lineUnsummed()
	if err != nil {
		return err
	}
	kind, endArg, ok := parseDirective(line)
	var e endItem
	if !ok || kind != "end" || json.Unmarshal([]byte(endArg), &e) != nil {
		return formatErr("the twin file's end line is damaged: %q", truncate(line))
	}
	if e.SHA256 != want {
		return formatErr("the twin file's checksum does not match its content: it was changed after pgtwin wrote it")
	}
	if err := r.checkCounts(&m); err != nil {
		return err
	}
	if _, err := r.br.ReadByte(); err != io.EOF {
		if err != nil {
			return r.readErr(err)
		}
		return formatErr("the twin file goes on after its end line: it was changed after pgtwin wrote it")
	}
	r.manifest, r.done = &m, true
	return nil
}

// checkCounts compares the manifest's per-table counts with the blocks read.
func (r *Reader) checkCounts(m *Manifest) error {
	seen := map[catalog.Name]bool{}
	for _, c := range m.Counts {
		seen[c.Table] = true
		t := r.tables[c.Table]
		if t == nil {
			t = newTableSum()
		}
		if got := hex.EncodeToString(t.sums.Sum(nil)); t.rows != c.Rows || t.bytes != c.Bytes || got != c.SHA256 {
			return formatErr("table %s: the manifest says %d rows (sha256 %.12s…), the file holds %d (sha256 %.12s…): it was changed after pgtwin wrote it",
				c.Table.Display(), c.Rows, c.SHA256, t.rows, got)
		}
	}
	for name, t := range r.tables {
		if !seen[name] && t.rows > 0 {
			return formatErr("table %s has rows in the twin file but not in its manifest: it was changed after pgtwin wrote it", name.Display())
		}
	}
	return nil
}

// Manifest is the file's manifest, once Next has returned io.EOF.
func (r *Reader) Manifest() *Manifest { return r.manifest }

// line reads one line (without its end) outside the rows, into the end
// checksum.
func (r *Reader) line() (string, error) {
	s, err := r.lineUnsummed()
	if err == nil {
		r.sum.Write([]byte(s + "\n"))
	}
	return s, err
}

func (r *Reader) lineUnsummed() (string, error) {
	var b []byte
	for {
		chunk, err := r.br.ReadSlice('\n')
		b = append(b, chunk...)
		if err == nil {
			return string(b[:len(b)-1]), nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return "", r.readErr(err)
		}
		if len(b) > maxLine {
			return "", formatErr("the twin file has a line longer than %d MB where a directive belongs: it is damaged", maxLine>>20)
		}
	}
}

// readErr explains an error of reading the script: the end of the data
// before the end line means the file was cut short.
func (r *Reader) readErr(err error) error {
	var fe *FormatError
	switch {
	case errors.As(err, &fe):
		return err
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return formatErr("the twin file is cut short: it ends before its end line (an interrupted download, or a dump that did not finish)")
	case r.Compression != None:
		return corrupted(err)
	}
	return fmt.Errorf("read the twin file: %w", err)
}

// parseDirective splits "-- pgtwin:kind arg".
func parseDirective(line string) (kind, arg string, ok bool) {
	rest, ok := strings.CutPrefix(line, directive)
	if !ok {
		return "", "", false
	}
	kind, arg, _ = strings.Cut(rest, " ")
	return kind, arg, true
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// rowsReader reads one block of COPY text rows, up to the line "\.",
// handing out whole lines where it can.
type rowsReader struct {
	r           *Reader
	table       catalog.Name
	sum         hash.Hash
	rows, bytes int64
	atLineStart bool
	done        bool
	err         error
}

var endOfRows = []byte("\\.\n")

func (rr *rowsReader) Counted() (rows, bytes int64) { return rr.rows, rr.bytes }

func (rr *rowsReader) Read(p []byte) (int, error) {
	if rr.err != nil {
		return 0, rr.err
	}
	if rr.done {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	br := rr.r.br
	if rr.atLineStart {
		if head, _ := br.Peek(len(endOfRows)); bytes.Equal(head, endOfRows) {
			br.Discard(len(endOfRows))
			rr.r.sum.Write(endOfRows)
			rr.err = rr.finish()
			if rr.err != nil {
				return 0, rr.err
			}
			rr.done = true
			return 0, io.EOF
		}
	}
	if _, err := br.Peek(1); err != nil {
		rr.err = rr.r.readErr(err)
		return 0, rr.err
	}
	window, _ := br.Peek(min(br.Buffered(), len(p)))
	n := 0
	if rr.atLineStart {
		if i := bytes.Index(window, []byte("\n\\.\n")); i >= 0 {
			n = i + 1
		} else {
			n = bytes.LastIndexByte(window, '\n') + 1
		}
	} else {
		n = bytes.IndexByte(window, '\n') + 1
	}
	if n == 0 { // a line longer than the window: hand out part of it
		n = len(window)
		rr.atLineStart = false
	} else {
		rr.atLineStart = true
	}
	copy(p, window[:n])
	br.Discard(n)
	rr.sum.Write(p[:n])
	rr.rows += int64(bytes.Count(p[:n], []byte{'\n'}))
	rr.bytes += int64(len(p[:n]))
	return n, nil
}

// finish reads the block's "copied" line and checks it.
func (rr *rowsReader) finish() error {
	line, err := rr.r.line()
	if err != nil {
		return err
	}
	kind, arg, ok := parseDirective(line)
	var c copiedItem
	if !ok || kind != "copied" || json.Unmarshal([]byte(arg), &c) != nil {
		return formatErr("the rows of %s in the twin file are not followed by their count and checksum: it is damaged", rr.table.Display())
	}
	sum := hex.EncodeToString(rr.sum.Sum(nil))
	if c.Rows != rr.rows || c.Bytes != rr.bytes || c.SHA256 != sum {
		return formatErr("the rows of %s in the twin file do not match their checksum (%d rows read, %d written): it was changed or damaged after pgtwin wrote it",
			rr.table.Display(), rr.rows, c.Rows)
	}
	t := rr.r.tables[rr.table]
	if t == nil {
		t = newTableSum()
		rr.r.tables[rr.table] = t
	}
	t.add(rr.rows, rr.bytes, sum)
	return nil
}

// Check reads a whole twin file, checking every checksum, and returns its
// manifest and compression.
func Check(in io.Reader) (*Manifest, Compression, error) {
	r, err := NewReader(in)
	if err != nil {
		return nil, "", err
	}
	defer r.Close()
	for {
		if _, err := r.Next(); errors.Is(err, io.EOF) {
			return r.Manifest(), r.Compression, nil
		} else if err != nil {
			return nil, "", err
		}
	}
}
