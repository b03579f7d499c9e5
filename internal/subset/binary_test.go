package subset

import (
	"bytes"
	"encoding/binary"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/pgtwin/pgtwin/internal/catalog"
)

// binaryStream builds a binary COPY stream as PostgreSQL documents it: the
// signature, flags, an extension area of ext bytes, the tuples (a 16-bit
// field count, then per field a 32-bit length, -1 for NULL, and the bytes)
// and the trailer (-1).
func binaryStream(ext int, rows [][][]byte) (stream []byte, tuples [][]byte) {
	var b bytes.Buffer
	b.WriteString("PGCOPY\n\xff\r\n\x00")
	binary.Write(&b, binary.BigEndian, int32(0))
	binary.Write(&b, binary.BigEndian, int32(ext))
	b.Write(bytes.Repeat([]byte{7}, ext))
	for _, row := range rows {
		var t bytes.Buffer
		binary.Write(&t, binary.BigEndian, int16(len(row)))
		for _, f := range row {
			if f == nil {
				binary.Write(&t, binary.BigEndian, int32(-1))
				continue
			}
			binary.Write(&t, binary.BigEndian, int32(len(f)))
			t.Write(f)
		}
		tuples = append(tuples, t.Bytes())
		b.Write(t.Bytes())
	}
	binary.Write(&b, binary.BigEndian, int16(-1))
	return b.Bytes(), tuples
}

// TestReadBinaryRows checks the framing of a pass-through stream: one
// write per row, the header (extension area dropped) before the first and
// the trailer after the last, whatever the sizes of the reads and of the
// fields (empty, NULL, larger than the buffer); no rows writes nothing;
// a stream cut anywhere or with the wrong field count is an error.
func TestReadBinaryRows(t *testing.T) {
	ts := &tableState{t: &catalog.Table{Name: catalog.Name{Schema: "public", Name: "t"}}, cols: []string{"a", "b", "c"}}
	big := bytes.Repeat([]byte("x"), 600<<10)
	rows := [][][]byte{
		{[]byte("1"), nil, []byte("")},
		{[]byte("22"), big, []byte("three")},
		{nil, nil, nil},
	}
	header := []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	read := func(r io.Reader) (writes [][]byte, out []byte, err error) {
		err = readBinaryRows(r, ts, func(b []byte) error {
			writes = append(writes, bytes.Clone(b))
			out = append(out, b...)
			return nil
		}, func(b []byte) error {
			out = append(out, b...)
			return nil
		})
		return writes, out, err
	}
	for _, ext := range []int{0, 5} {
		stream, tuples := binaryStream(ext, rows)
		want := append(bytes.Clone(header), bytes.Join(tuples, nil)...)
		want = append(want, 0xff, 0xff)
		for name, r := range map[string]io.Reader{
			"whole":       bytes.NewReader(stream),
			"byte a read": iotest.OneByteReader(bytes.NewReader(stream)),
			"half reads":  iotest.HalfReader(bytes.NewReader(stream)),
		} {
			writes, out, err := read(r)
			if err != nil {
				t.Fatalf("ext %d, %s: %v", ext, name, err)
			}
			if len(writes) != len(rows) {
				t.Errorf("ext %d, %s: %d writes, want %d", ext, name, len(writes), len(rows))
			}
			if !bytes.Equal(out, want) {
				t.Errorf("ext %d, %s: output differs from header + tuples + trailer (%d bytes, want %d)", ext, name, len(out), len(want))
			}
		}
		for _, cut := range []int{3, len(header) + ext - 1, len(header) + ext + 1, len(header) + ext + 7, len(stream) - 300<<10, len(stream) - 1} {
			if _, _, err := read(bytes.NewReader(stream[:cut])); err == nil {
				t.Errorf("ext %d: stream cut at %d of %d: no error", ext, cut, len(stream))
			}
		}
	}
	empty, _ := binaryStream(0, nil)
	if writes, out, err := read(bytes.NewReader(empty)); err != nil || len(writes) != 0 || len(out) != 0 {
		t.Errorf("no rows: %d writes, %d bytes, err %v; want nothing", len(writes), len(out), err)
	}
	wrong, _ := binaryStream(0, [][][]byte{{[]byte("1"), []byte("2")}})
	if _, _, err := read(bytes.NewReader(wrong)); err == nil || !strings.Contains(err.Error(), "row has 2 fields, want 3") {
		t.Errorf("two fields of three: err = %v", err)
	}
}
