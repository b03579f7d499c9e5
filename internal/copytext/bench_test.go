package copytext

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
)

// benchStream is a COPY text stream of 100k rows shaped like a typical
// table: an id, a foreign key, a name, a timestamp, a nullable number and a
// longer text with the odd escape.
func benchStream() []byte {
	var b []byte
	for i := range 100_000 {
		b = fmt.Appendf(b, "%d\t%d\t", i, i%977)
		b = Encode(b, fmt.Sprintf("customer %d", i))
		b = append(b, "\t2024-05-17 12:34:56.123456+00\t"...)
		if i%5 == 0 {
			b = append(b, Null...)
		} else {
			b = fmt.Appendf(b, "%d.%02d", i*7, i%100)
		}
		b = append(b, '\t')
		text := strings.Repeat("lorem ipsum dolor sit amet ", 1+i%6)
		if i%10 == 0 {
			text += "\tline\nbreak \\ here"
		}
		b = Encode(b, text)
		b = append(b, '\n')
	}
	return b
}

func BenchmarkReaderSplit(b *testing.B) {
	data := benchStream()
	br := bytes.NewReader(data)
	r := NewReader(br)
	fields := make([][]byte, 0, 16)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		br.Reset(data)
		r.Reset(br)
		n := 0
		for {
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			fields = row.Split(fields)
			n++
		}
		if n != 100_000 {
			b.Fatalf("%d rows", n)
		}
	}
}

// BenchmarkReaderKeys is the copying loop: read each row, decode two key
// columns, and write the row on.
func BenchmarkReaderKeys(b *testing.B) {
	data := benchStream()
	br := bytes.NewReader(data)
	r := NewReader(br)
	var key []byte
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		br.Reset(data)
		r.Reset(br)
		for {
			row, err := r.Next()
			if err != nil {
				break
			}
			f0, _ := row.Field(0)
			f1, _ := row.Field(1)
			key = AppendDecode(key[:0], f0)
			key = AppendDecode(key, f1)
			io.Discard.Write(append(row.Line, '\n'))
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	field := Encode(nil, strings.Repeat("lorem ipsum\tdolor\\sit amet\n", 4))
	b.SetBytes(int64(len(field)))
	b.ReportAllocs()
	for b.Loop() {
		_ = Decode(field)
	}
}

func BenchmarkEncode(b *testing.B) {
	s := strings.Repeat("lorem ipsum\tdolor\\sit amet\n", 4)
	var dst []byte
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		dst = Encode(dst[:0], s)
	}
}
