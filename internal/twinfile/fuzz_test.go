package twinfile

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/pgtwin/pgtwin/internal/catalog"
)

// seedFile is a small whole twin file: a section, SQL, two blocks of rows.
func seedFile() []byte {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, None, Header{Schemas: []string{"public"}, Tables: []catalog.Name{users}})
	w.Section(SectionPreData)
	w.SQL("CREATE TABLE public.users (id int, v text);")
	w.Section(SectionData)
	w.Copy(users, []string{"id", "v"}, strings.NewReader("1\ta\\\\.\n2\t\\N\n"))
	w.Copy(users, []string{"id", "v"}, strings.NewReader("3\tc\n"))
	w.Section(SectionCommit)
	w.Close()
	return buf.Bytes()
}

// FuzzCheck feeds the reader damaged twin files: it never panics, and
// every file it does not accept is refused with a *FormatError (a plain
// file has no decompressor to fail otherwise).
func FuzzCheck(f *testing.F) {
	seed := seedFile()
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Add(bytes.Replace(seed, []byte("\ta"), []byte("\tA"), 1))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, _, err := Check(bytes.NewReader(data))
		var fe *FormatError
		switch {
		case err == nil && m == nil:
			t.Fatal("accepted without a manifest")
		case err != nil && !errors.As(err, &fe) && !bytes.HasPrefix(data, zstdMagic) && !bytes.HasPrefix(data, gzipMagic):
			t.Fatalf("refused without a FormatError: %v", err)
		}
	})
}
