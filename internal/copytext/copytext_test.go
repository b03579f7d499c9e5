package copytext

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/pgtwin/pgtwin/internal/pgtest"
)

// TestMain starts a throwaway PostgreSQL server for the round-trip tests,
// except when fuzzing: every fuzz worker process runs TestMain too, and the
// fuzz targets need no server.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		os.Exit(m.Run())
	}
	if f := flag.Lookup("test.fuzzworker"); f != nil && f.Value.String() == "true" {
		os.Exit(m.Run())
	}
	pgtest.Main(m)
}

func readAll(t testing.TB, r *Reader) []string {
	t.Helper()
	var rows []string
	for {
		row, err := r.Next()
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatalf("Next after %d rows: %v", len(rows), err)
		}
		rows = append(rows, string(row.Line))
	}
}

func TestReaderRows(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"empty", "", nil},
		{"one", "a\tb\n", []string{"a\tb"}},
		{"two", "1\tx\n2\ty\n", []string{"1\tx", "2\ty"}},
		{"empty line", "\n", []string{""}},
		{"empty lines", "\n\n", []string{"", ""}},
		{"no final newline", "1\tx\n2\ty", []string{"1\tx", "2\ty"}},
		{"end marker", "1\n2\n\\.\n", []string{"1", "2"}},
		{"end marker without newline", "1\n\\.", []string{"1"}},
		{"data after end marker", "1\n\\.\n3\n", []string{"1"}},
		{"only end marker", "\\.\n", nil},
		{"marker-like data", "\\\\.\n\\.x\nx\\.\n", []string{`\\.`, `\.x`, `x\.`}},
		{"escaped newline", "a\\\nb\nc\n", []string{"a\\\nb", "c"}},
		{"escaped backslash then newline", "a\\\\\nb\n", []string{`a\\`, "b"}},
		{"three backslashes then newline", "a\\\\\\\nb\nc\n", []string{"a\\\\\\\nb", "c"}},
		{"escaped newline at start", "\\\n\n", []string{"\\\n"}},
		{"trailing backslash at EOF", "a\\", []string{`a\`}},
		{"escaped newline at EOF", "a\\\n", []string{"a\\\n"}},
		{"crlf kept", "a\r\nb\r\n", []string{"a\r", "b\r"}},
		{"non-ASCII", "zürich\t東京\t🐘\n", []string{"zürich\t東京\t🐘"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, size := range []int{16, 17, DefaultBufferSize} {
				for _, one := range []bool{false, true} {
					var src io.Reader = strings.NewReader(tt.in)
					if one {
						src = iotest.OneByteReader(src)
					}
					r := NewReaderSize(src, size)
					got := readAll(t, r)
					if !reflect.DeepEqual(got, tt.want) {
						t.Errorf("size %d, one byte %v: got %q, want %q", size, one, got, tt.want)
					}
					if r.Rows() != int64(len(tt.want)) {
						t.Errorf("Rows() = %d, want %d", r.Rows(), len(tt.want))
					}
					if _, err := r.Next(); err != io.EOF {
						t.Errorf("Next after end: %v, want io.EOF", err)
					}
				}
			}
		})
	}
}

func TestReaderLongRow(t *testing.T) {
	big := strings.Repeat("x\\\\y\\t", 1<<20/6) // > 1 MiB raw, with escapes
	in := "1\tshort\n2\t" + big + "\t\\N\n3\t\n"
	r := NewReader(iotest.HalfReader(strings.NewReader(in)))
	row, err := r.Next()
	if err != nil || string(row.Line) != "1\tshort" {
		t.Fatalf("row 1: %q, %v", row.Line, err)
	}
	row, err = r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if row.NumFields() != 3 || !row.IsNull(2) {
		t.Fatalf("row 2: %d fields", row.NumFields())
	}
	f, _ := row.Field(1)
	if string(f) != big {
		t.Fatalf("long field mangled (len %d, want %d)", len(f), len(big))
	}
	if want := strings.Repeat("x\\y\t", 1<<20/6); Decode(f) != want {
		t.Fatalf("Decode of long field wrong")
	}
	row, err = r.Next()
	if err != nil || string(row.Line) != "3\t" {
		t.Fatalf("row 3: %q, %v", row.Line, err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
}

func TestReaderError(t *testing.T) {
	boom := errors.New("boom")
	src := io.MultiReader(strings.NewReader("1\n2\npartial"), iotest.ErrReader(boom))
	r := NewReaderSize(src, 16)
	for _, want := range []string{"1", "2"} {
		row, err := r.Next()
		if err != nil || string(row.Line) != want {
			t.Fatalf("got %q, %v; want %q", row.Line, err, want)
		}
	}
	if _, err := r.Next(); err != boom {
		t.Fatalf("got %v, want boom (partial row dropped)", err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after error: %v", err)
	}
}

func TestReaderNoAllocs(t *testing.T) {
	data := bytes.Repeat([]byte("12345\tsome text\t\\N\t2024-01-01\n"), 10000)
	br := bytes.NewReader(data)
	r := NewReader(br)
	fields := make([][]byte, 0, 8)
	allocs := testing.AllocsPerRun(10, func() {
		br.Reset(data)
		r.Reset(br)
		for {
			row, err := r.Next()
			if err != nil {
				break
			}
			fields = row.Split(fields)
			if w := append(row.Line, '\n'); len(w) != len(row.Line)+1 {
				panic("unreachable")
			}
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per pass over 10000 rows", allocs)
	}
}

func TestFields(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{"", []string{""}},
		{"a", []string{"a"}},
		{"a\tb", []string{"a", "b"}},
		{"\t", []string{"", ""}},
		{"a\t", []string{"a", ""}},
		{"\ta", []string{"", "a"}},
		{"a\t\t\tb", []string{"a", "", "", "b"}},
		{`\N` + "\t" + `\\N` + "\t", []string{`\N`, `\\N`, ""}},
		{"a\\\tb\tc", []string{"a\\\tb", "c"}},         // escaped raw tab is data
		{"a\\\\\tb", []string{`a\\`, "b"}},             // \\ then a separator
		{"a\\\\\\\tb\tc", []string{"a\\\\\\\tb", "c"}}, // \\ \<tab>
		{"\\\t", []string{"\\\t"}},
		{"ä\t€\t𝄞", []string{"ä", "€", "𝄞"}},
	}
	for _, tt := range tests {
		row := Row{Line: []byte(tt.line)}
		var got []string
		for _, f := range row.Split(nil) {
			got = append(got, string(f))
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Split(%q) = %q, want %q", tt.line, got, tt.want)
		}
		if n := row.NumFields(); n != len(tt.want) {
			t.Errorf("NumFields(%q) = %d, want %d", tt.line, n, len(tt.want))
		}
		for i, w := range tt.want {
			f, ok := row.Field(i)
			if !ok || string(f) != w {
				t.Errorf("Field(%q, %d) = %q, %v; want %q", tt.line, i, f, ok, w)
			}
			if row.IsNull(i) != (w == `\N`) {
				t.Errorf("IsNull(%q, %d) = %v", tt.line, i, row.IsNull(i))
			}
		}
		for _, i := range []int{-1, len(tt.want), len(tt.want) + 5} {
			if f, ok := row.Field(i); ok || f != nil {
				t.Errorf("Field(%q, %d) = %q, %v; want nil, false", tt.line, i, f, ok)
			}
			if row.IsNull(i) {
				t.Errorf("IsNull(%q, %d) out of range is true", tt.line, i)
			}
		}
		if got := AppendRow(nil, row.Split(nil)); string(got) != tt.line+"\n" {
			t.Errorf("AppendRow(Split(%q)) = %q", tt.line, got)
		}
	}
}

func TestSplitReusesDst(t *testing.T) {
	row := Row{Line: []byte("a\tb\tc")}
	dst := make([][]byte, 0, 3)
	out := row.Split(dst)
	if &out[:1][0] != &dst[:1][0] {
		t.Error("Split did not reuse dst")
	}
	if n := testing.AllocsPerRun(100, func() { dst = row.Split(dst) }); n != 0 {
		t.Errorf("Split allocates %v times", n)
	}
	// Fields are capped so appending to one cannot overwrite the next.
	_ = append(out[0], 'X')
	if string(row.Line) != "a\tb\tc" {
		t.Errorf("append to a field changed the line: %q", row.Line)
	}
}

func TestDecode(t *testing.T) {
	tests := []struct{ in, want string }{
		{``, ``},
		{`plain`, `plain`},
		{`\\`, `\`},
		{`\t\n\r\b\f\v`, "\t\n\r\b\f\v"},
		{`a\\N`, `a\N`},
		{`\\N`, `\N`},
		{`\N`, `N`}, // NULL is the caller's business
		{`x\Ny`, `xNy`},
		{`\101\102C`, `ABC`},
		{`\0`, "\x00"},
		{`\7`, "\x07"},
		{`\12`, "\n"},
		{`\1234`, "S4"},  // at most three octal digits
		{`\18`, "\x018"}, // 8 is not octal
		{`\777`, "\xff"}, // modulo 256
		{`\400`, "\x00"}, // modulo 256
		{`\x41\x4a\x4A`, `AJJ`},
		{`\x4`, "\x04"},
		{`\x4g`, "\x04g"},
		{`\x414`, "A4"}, // at most two hex digits
		{`\xg`, `xg`},   // no hex digit: plain x
		{`\x`, `x`},
		{`\.`, `.`},
		{`\q\"\'`, `q"'`},
		{"\\\t", "\t"},  // backslash before a raw tab
		{"\\\n", "\n"},  // backslash before a raw newline
		{`abc\`, `abc`}, // trailing backslash dropped
		{`\`, ``},
		{`\\\`, `\`},
		{`zürich\t東京\\🐘`, "zürich\t東京\\🐘"},
		{`\303\244`, "ä"},
		{`\xc3\xa4`, "ä"},
	}
	for _, tt := range tests {
		if got := Decode([]byte(tt.in)); got != tt.want {
			t.Errorf("Decode(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := AppendDecode([]byte("pre"), []byte(tt.in)); string(got) != "pre"+tt.want {
			t.Errorf("AppendDecode(%q) = %q", tt.in, got)
		}
	}
}

func TestEncode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{`\`, `\\`},
		{`\N`, `\\N`},
		{`\.`, `\\.`},
		{"a\tb\nc\rd", `a\tb\nc\rd`},
		{"\b\f\v", `\b\f\v`},
		{"\x00\x01\x1f\x7f", "\x00\x01\x1f\x7f"}, // like the server: other controls raw
		{"zürich 東京 🐘", "zürich 東京 🐘"},
		{"\xff\xfe", "\xff\xfe"},
		{"\\\\\t\n", `\\\\\t\n`},
	}
	for _, tt := range tests {
		got := Encode([]byte("pre"), tt.in)
		if string(got) != "pre"+tt.want {
			t.Errorf("Encode(%q) = %q, want %q", tt.in, got[3:], tt.want)
		}
		if back := Decode(got[3:]); back != tt.in {
			t.Errorf("Decode(Encode(%q)) = %q", tt.in, back)
		}
	}
}
