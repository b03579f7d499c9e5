package twinfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/guard"
)

var (
	users  = catalog.Name{Schema: "public", Name: "users"}
	orders = catalog.Name{Schema: "Sales Dept", Name: "order"}
)

// usersRows are COPY text rows, one holding the escapes a value can have,
// including a backslash-dot that must not end the block.
const usersRows = "1\talice@example.com\t\\N\n2\tbob\\\\.\\n\\.\tx\n"

// sample writes a small twin file the way a dump does.
func sample(t *testing.T, c Compression) []byte {
	t.Helper()
	var buf bytes.Buffer
	h := Header{PgtwinVersion: "test", Source: "localhost:5432/shop", SourceServerVersion: "15.8",
		SourceIdentity: guard.Identity{SystemIdentifier: "7300000000000000001", DatabaseOID: 16384, Database: "shop"},
		SnapshotAt:     time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC), ConfigHash: "abc", Schemas: []string{"public", "Sales Dept"},
		Tables: []catalog.Name{users, orders}}
	w, err := NewWriter(&buf, c, h)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.Section(SectionPreData))
	must(w.SQL("CREATE TABLE public.users (id int, email text, note text);\n-- pgtwin:section data\n"))
	must(w.Section(SectionData))
	rows, n, err := w.Copy(users, []string{"id", "email", "note"}, strings.NewReader(usersRows))
	must(err)
	if rows != 2 || n != int64(len(usersRows)) {
		t.Fatalf("Copy counted %d rows, %d bytes", rows, n)
	}
	_, _, err = w.Copy(orders, []string{"id"}, strings.NewReader(""))
	must(err)
	_, _, err = w.Copy(orders, []string{"id"}, strings.NewReader("7\n8\n9\n"))
	must(err)
	must(w.CutSQL("orders_user_fk", "UPDATE x SET y = NULL"))
	must(w.Section(SectionCommit))
	m, err := w.Close()
	must(err)
	if m.Rows != 5 || len(m.Counts) != 2 || m.Counts[1].Rows != 3 {
		t.Fatalf("manifest: %+v", m)
	}
	return buf.Bytes()
}

// readAll reads a file to its end and returns what each item was.
func readAll(data []byte) ([]string, *Manifest, error) {
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	var got []string
	for {
		it, err := r.Next()
		if err == io.EOF {
			return got, r.Manifest(), nil
		}
		if err != nil {
			return got, nil, err
		}
		switch it.Kind {
		case KindSection:
			got = append(got, "section "+it.Section)
		case KindSQL:
			got = append(got, fmt.Sprintf("sql cut=%q %q", it.Cut, it.SQL))
		case KindCopy:
			b, err := io.ReadAll(it.Rows)
			if err != nil {
				return got, nil, err
			}
			got = append(got, fmt.Sprintf("copy %s %v %q", it.Table.Display(), it.Columns, b))
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, c := range []Compression{Zstd, Gzip, None} {
		t.Run(string(c), func(t *testing.T) {
			items, m, err := readAll(sample(t, c))
			if err != nil {
				t.Fatal(err)
			}
			want := []string{
				"section pre-data",
				`sql cut="" "CREATE TABLE public.users (id int, email text, note text);\n-- pgtwin:section data\n;\n"`,
				"section data",
				`copy public.users [id email note] "1\talice@example.com\t\\N\n2\tbob\\\\.\\n\\.\tx\n"`,
				`copy "Sales Dept"."order" [id] ""`,
				`copy "Sales Dept"."order" [id] "7\n8\n9\n"`,
				`sql cut="orders_user_fk" "UPDATE x SET y = NULL\n;\n"`,
				"section commit",
			}
			if strings.Join(items, "\n") != strings.Join(want, "\n") {
				t.Fatalf("items:\n%s\nwant:\n%s", strings.Join(items, "\n"), strings.Join(want, "\n"))
			}
			if m.Rows != 5 || m.Counts[0].Rows != 2 || m.Counts[1].Rows != 3 || m.SourceIdentity.Database != "shop" || m.Format != 1 {
				t.Fatalf("manifest: %+v", m)
			}
		})
	}
}

// TestPlainIsSQL: the uncompressed file is the SQL script psql reads, rows
// ending at "\." lines.
func TestPlainIsSQL(t *testing.T) {
	s := string(sample(t, None))
	for _, want := range []string{
		"-- pgtwin twin file, format 1: a partial twin of localhost:5432/shop as of 2026-12-02 01:00:00Z",
		"\nCOPY \"public\".\"users\" (\"id\", \"email\", \"note\") FROM stdin;\n" + usersRows + "\\.\n",
		"\nCOPY \"Sales Dept\".\"order\" (\"id\") FROM stdin;\n7\n8\n9\n\\.\n",
		"\nUPDATE x SET y = NULL\n;\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the script lacks %q:\n%s", want, s)
		}
	}
	for _, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if strings.HasPrefix(line, "-- pgtwin") && !strings.HasPrefix(line, "-- pgtwin twin file") && !strings.HasPrefix(line, "-- pgtwin:") {
			t.Errorf("odd directive line %q", line)
		}
	}
}

// TestRefused: every damaged file is refused with a *FormatError saying
// what is wrong, before the reader reports its end.
func TestRefused(t *testing.T) {
	for _, c := range []Compression{Zstd, Gzip, None} {
		good := sample(t, c)
		t.Run(string(c), func(t *testing.T) {
			for _, cut := range []int{1, 3, 10, len(good) / 4, len(good) / 2, len(good) - 40, len(good) - 1} {
				wantRefused(t, fmt.Sprintf("cut at %d of %d", cut, len(good)), good[:cut], "cut short|empty|not a pgtwin|corrupted|damaged")
			}
			for _, at := range []int{len(good) / 3, len(good) / 2, 2 * len(good) / 3, len(good) - 20} {
				flipped := bytes.Clone(good)
				flipped[at] ^= 0x04
				wantRefused(t, fmt.Sprintf("byte %d flipped", at), flipped, "changed|damaged|corrupted|cut short|unexpected line")
			}
			wantRefused(t, "trailing bytes", append(bytes.Clone(good), good...), "goes on after|corrupted|changed")
		})
	}
	plain := sample(t, None)
	wantRefused(t, "empty", nil, "^the file is empty")
	wantRefused(t, "not a twin file", []byte("--\n-- PostgreSQL database dump\n--\nSET x = 1;\n"), "^not a pgtwin twin file")
	wantRefused(t, "binary junk", []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}, "^not a pgtwin twin file")
	wantRefused(t, "newer format", bytes.Replace(plain, []byte(`{"format":1,`), []byte(`{"format":2,`), 1), "^the twin file has format version 2; this pgtwin reads format 1")
	wantRefused(t, "row changed", bytes.Replace(plain, []byte("alice@"), []byte("alicE@"), 1), "^the rows of public.users in the twin file do not match their checksum")
	wantRefused(t, "DDL changed", bytes.Replace(plain, []byte("note text"), []byte("note TEXT"), 1), "checksum does not match its content")
	wantRefused(t, "row added", bytes.Replace(plain, []byte("7\n8\n"), []byte("7\n8\n10\n"), 1), "public|Sales Dept")
	wantRefused(t, "a huge sql length", regexp.MustCompile(`sql \{"bytes":\d+`).ReplaceAll(plain, []byte(`sql {"bytes":900000000`)), "cut short")
	wantRefused(t, "a sql length past the limit", regexp.MustCompile(`sql \{"bytes":\d+`).ReplaceAll(plain, []byte(`sql {"bytes":9000000000`)), "^a sql item of the twin file is damaged")
	// A rewritten block checksum still contradicts the end checksum.
	if _, _, err := readAll(plain); err != nil {
		t.Fatal(err)
	}
}

func wantRefused(t *testing.T, name string, data []byte, pattern string) {
	t.Helper()
	_, _, err := readAll(data)
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Errorf("%s: got %v, want a *FormatError", name, err)
		return
	}
	if strings.Contains(fe.Msg, "\n") {
		t.Errorf("%s: the error is not one line: %q", name, fe.Msg)
	}
	if !matches(pattern, fe.Msg) {
		t.Errorf("%s: %q does not match %q", name, fe.Msg, pattern)
	}
}

func TestParseCompression(t *testing.T) {
	for _, s := range []string{"zstd", "gzip", "none"} {
		if c, err := ParseCompression(s); err != nil || string(c) != s {
			t.Errorf("ParseCompression(%q) = %q, %v", s, c, err)
		}
	}
	if _, err := ParseCompression("lz4"); err == nil || !strings.Contains(err.Error(), "use zstd (the default), gzip or none") {
		t.Errorf("ParseCompression(lz4): %v", err)
	}
}

// TestLongRows: rows longer than the reader's buffer, and many small
// ones, come back byte for byte.
func TestLongRows(t *testing.T) {
	var rows strings.Builder
	rows.WriteString(strings.Repeat("x", 3<<20) + "\n")
	for i := range 100000 {
		fmt.Fprintf(&rows, "%d\t\\\\.\n", i)
	}
	rows.WriteString(strings.Repeat("y\\.", 1<<20) + "\n")
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Zstd, Header{Tables: []catalog.Name{users}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.Copy(users, []string{"v"}, strings.NewReader(rows.String())); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	items, m, err := readAll(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("copy public.users [v] %q", rows.String()); len(items) != 1 || items[0] != want {
		t.Fatalf("rows did not come back byte for byte (%d items)", len(items))
	}
	if m.Counts[0].Rows != 100002 {
		t.Fatalf("rows counted: %d", m.Counts[0].Rows)
	}
}

func matches(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }
