package schema

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/pgtwin/pgtwin/internal/catalog"
)

// splitLists divides the archive's table of contents (pg_restore --list)
// into two lists for pg_restore --use-list: rest, every entry but the
// foreign keys that indexed holds, and keys, only those. A list leaves an
// entry out by commenting its line. ok is false when no entry is such a key.
func splitLists(list string, indexed map[catalog.DumpTag]bool) (rest, keys string, ok bool) {
	var r, k strings.Builder
	for _, line := range strings.SplitAfter(list, "\n") {
		entry := strings.TrimRight(line, "\r\n")
		switch {
		case entry == "" || strings.HasPrefix(entry, ";"):
			r.WriteString(line)
			k.WriteString(line)
		case isIndexedKey(entry, indexed):
			ok = true
			r.WriteString(";" + line)
			k.WriteString(line)
		default:
			r.WriteString(line)
			k.WriteString(";" + line)
		}
	}
	return r.String(), k.String(), ok
}

// isIndexedKey reports whether a line of pg_restore --list ("<id>; <oid>
// <oid> FK CONSTRAINT <schema> <tag> <owner>") names a key of indexed.
// Names may hold spaces, so every way of cutting the line into schema, tag
// and owner is tried; a wrong cut can only find a key whose check then
// runs later, with the same result.
func isIndexedKey(entry string, indexed map[catalog.DumpTag]bool) bool {
	_, rest, ok := strings.Cut(entry, "; ")
	if !ok {
		return false
	}
	fields := strings.SplitN(rest, " ", 3)
	if len(fields) < 3 {
		return false
	}
	rest, ok = strings.CutPrefix(fields[2], "FK CONSTRAINT ")
	if !ok {
		return false
	}
	for i := range len(rest) {
		if rest[i] != ' ' {
			continue
		}
		schema, tagOwner := rest[:i], rest[i+1:]
		for j := len(tagOwner) - 1; j > 0; j-- {
			if tagOwner[j] == ' ' && indexed[catalog.DumpTag{Schema: schema, Tag: tagOwner[:j]}] {
				return true
			}
		}
	}
	return false
}

// writeLists writes rest and keys to files in a new temporary directory
// and returns their paths and a function that removes them.
func writeLists(rest, keys string) (restFile, keysFile string, remove func(), err error) {
	dir, err := os.MkdirTemp("", "pgtwin-lists-")
	if err != nil {
		return "", "", nil, err
	}
	remove = func() { os.RemoveAll(dir) }
	restFile, keysFile = filepath.Join(dir, "rest.list"), filepath.Join(dir, "keys.list")
	for path, text := range map[string]string{restFile: rest, keysFile: keys} {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			remove()
			return "", "", nil, err
		}
	}
	return restFile, keysFile, remove, nil
}
