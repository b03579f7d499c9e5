package twinfile

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"runtime"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Compression is how a file's script is compressed.
type Compression string

// The compressions a file may have. Zstd is the default: on pgtwin's bench
// data it writes smaller files than gzip, several times faster (see the
// README's benchmark).
const (
	Zstd Compression = "zstd"
	Gzip Compression = "gzip"
	None Compression = "none"
)

// ParseCompression reads a --compress value.
func ParseCompression(s string) (Compression, error) {
	switch c := Compression(s); c {
	case Zstd, Gzip, None:
		return c, nil
	}
	return "", fmt.Errorf("unknown compression %q: use zstd (the default), gzip or none", s)
}

// Extension is the file name ending that tells the standard tools how to
// read a file of this compression.
func (c Compression) Extension() string {
	switch c {
	case Zstd:
		return ".sql.zst"
	case Gzip:
		return ".sql.gz"
	}
	return ".sql"
}

// compressor wraps w in c's encoder; Close flushes it (not w).
func compressor(w io.Writer, c Compression) (io.WriteCloser, error) {
	switch c {
	case Zstd:
		// One frame, with the content checksum zstd verifies when reading;
		// blocks are compressed on up to GOMAXPROCS goroutines while the
		// rows stream in.
		return zstd.NewWriter(w, zstd.WithEncoderCRC(true), zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)))
	case Gzip:
		return gzip.NewWriterLevel(w, gzip.DefaultCompression)
	case None, "":
		return nopCloser{w}, nil
	}
	return nil, fmt.Errorf("unknown compression %q", c)
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

var (
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
	gzipMagic = []byte{0x1f, 0x8b}
)

// decompressor recognizes r's compression by its first bytes and returns
// the script's reader and the compression.
func decompressor(r *bufio.Reader) (io.Reader, func(), Compression, error) {
	head, err := r.Peek(4)
	if len(head) == 0 {
		if err == io.EOF {
			return nil, nil, "", formatErr("the file is empty: it is not a twin file (was the dump cut off before it began?)")
		}
		return nil, nil, "", fmt.Errorf("read the twin file: %w", err)
	}
	switch {
	case bytes.HasPrefix(head, zstdMagic):
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, nil, "", fmt.Errorf("read the twin file: %w", err)
		}
		return d, d.Close, Zstd, nil
	case bytes.HasPrefix(head, gzipMagic):
		d, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, "", corrupted(err)
		}
		return d, func() { d.Close() }, Gzip, nil
	}
	return r, func() {}, None, nil
}

// corrupted wraps an error of the decompressor: the file's bytes are not
// what pgtwin wrote.
func corrupted(err error) error {
	if err == io.ErrUnexpectedEOF {
		return formatErr("the file is cut short: it ends in the middle of its compressed data (an interrupted download or a dump that did not finish)")
	}
	return formatErr("the file is corrupted: %v (it was changed or damaged after pgtwin wrote it)", err)
}
