package copytext

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
)

// oracleRows splits a COPY text stream byte by byte, the slow obvious way.
func oracleRows(in []byte) (rows [][]byte, marker bool) {
	start, esc := 0, false
	for i, c := range in {
		switch {
		case esc:
			esc = false
		case c == '\\':
			esc = true
		case c == '\n':
			line := in[start:i]
			if string(line) == `\.` {
				return rows, true
			}
			rows = append(rows, line)
			start = i + 1
		}
	}
	if start < len(in) {
		if string(in[start:]) == `\.` {
			return rows, true
		}
		rows = append(rows, in[start:])
	}
	return rows, false
}

func oracleFields(line []byte) [][]byte {
	var fields [][]byte
	start, esc := 0, false
	for i, c := range line {
		switch {
		case esc:
			esc = false
		case c == '\\':
			esc = true
		case c == '\t':
			fields = append(fields, line[start:i])
			start = i + 1
		}
	}
	return append(fields, line[start:])
}

func FuzzReader(f *testing.F) {
	for _, s := range []string{
		"", "\n", "a\tb\n", "1\t\\N\t\\\\N\n2\t\t\n", "x\\\ny\n", "a\\\tb\tc",
		"1\n\\.\n2\n", "\\.", "1\n\\.", "a\\", "\\\\\\\n\n", "\t\t\n\t",
		"\\x41\\101\\t\\n\n", "ü\t€\n", "a\r\nb\r\n",
	} {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, in []byte, mode uint8) {
		var src io.Reader = bytes.NewReader(in)
		switch mode % 3 {
		case 1:
			src = iotest.OneByteReader(src)
		case 2:
			src = iotest.HalfReader(src)
		}
		size := 16 + int(mode/3)
		r := NewReaderSize(src, size)
		wantRows, marker := oracleRows(in)
		var joined []byte
		var fields [][]byte
		n := 0
		for {
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if n >= len(wantRows) {
				t.Fatalf("extra row %q", row.Line)
			}
			if !bytes.Equal(row.Line, wantRows[n]) {
				t.Fatalf("row %d = %q, want %q", n, row.Line, wantRows[n])
			}
			n++
			whole := append(row.Line, '\n')
			if !bytes.Equal(whole[:len(whole)-1], wantRows[n-1]) {
				t.Fatalf("append(row.Line, '\\n') = %q", whole)
			}
			joined = append(joined, whole...)

			fields = row.Split(fields)
			want := oracleFields(row.Line)
			if len(fields) != len(want) || row.NumFields() != len(want) {
				t.Fatalf("row %q: Split %d, NumFields %d, want %d fields", row.Line, len(fields), row.NumFields(), len(want))
			}
			for i := range want {
				g, ok := row.Field(i)
				if !ok || !bytes.Equal(g, want[i]) || !bytes.Equal(fields[i], want[i]) {
					t.Fatalf("row %q field %d: Field %q, Split %q, want %q", row.Line, i, g, fields[i], want[i])
				}
				if row.IsNull(i) != (string(want[i]) == `\N`) {
					t.Fatalf("row %q field %d: IsNull wrong", row.Line, i)
				}
				_ = Decode(g)
			}
			if _, ok := row.Field(len(want)); ok {
				t.Fatalf("row %q: Field(%d) exists", row.Line, len(want))
			}
			if got := AppendRow(nil, fields); !bytes.Equal(got, append(row.Line[:len(row.Line):len(row.Line)], '\n')) {
				t.Fatalf("AppendRow(Split(%q)) = %q", row.Line, got)
			}
		}
		if n != len(wantRows) {
			t.Fatalf("%d rows, want %d", n, len(wantRows))
		}
		if _, err := r.Next(); err != io.EOF {
			t.Fatalf("Next after end: %v", err)
		}
		// The rows, each with "\n", are the input up to the end marker.
		if marker {
			rest := in[len(joined):]
			if !bytes.HasPrefix(in, joined) || !bytes.HasPrefix(rest, []byte(`\.`)) ||
				len(rest) > 2 && rest[2] != '\n' {
				t.Fatalf("input %q does not continue with an end marker after %q", in, joined)
			}
		} else if !bytes.Equal(joined, in) {
			// A final row without its '\n' gets one. (The input may still
			// end with '\n': "\\\n" is one row holding an escaped newline.)
			if len(in) == 0 || !bytes.Equal(joined, append(in[:len(in):len(in)], '\n')) {
				t.Fatalf("rows joined = %q, input %q", joined, in)
			}
		}
	})
}

func FuzzEncodeDecode(f *testing.F) {
	for _, s := range []string{
		"", `\N`, `\\N`, "a\tb\nc\rd\\e", "\b\f\v\x00\x7f", "zürich 東京 🐘",
		"\xff\xfe", `\x41\101\`, "\\\t\\\n", `\.`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := Encode(nil, s)
		if got := Decode(enc); got != s {
			t.Fatalf("Decode(Encode(%q)) = %q (encoded %q)", s, got, enc)
		}
		if bytes.IndexByte(enc, '\n') >= 0 || bytes.IndexByte(enc, '\t') >= 0 || bytes.IndexByte(enc, '\r') >= 0 {
			t.Fatalf("Encode(%q) = %q has a raw separator", s, enc)
		}
		if IsNull(enc) || string(enc) == `\.` {
			t.Fatalf("Encode(%q) = %q", s, enc)
		}
		if n := (Row{Line: enc}).NumFields(); n != 1 {
			t.Fatalf("Encode(%q) = %q splits into %d fields", s, enc, n)
		}
		// s as a raw field: decoding never panics, and re-encoding its
		// value gives a field with the same value.
		d := Decode([]byte(s))
		if got := AppendDecode([]byte("x"), []byte(s)); string(got) != "x"+d {
			t.Fatalf("AppendDecode(%q) = %q, Decode %q", s, got, d)
		}
		if got := Decode(Encode(nil, d)); got != d {
			t.Fatalf("Decode(Encode(Decode(%q))) = %q, want %q", s, got, d)
		}
	})
}
