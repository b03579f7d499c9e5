package pglocal

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ErrNoServer is returned when no PostgreSQL server binaries can be found.
var ErrNoServer = errors.New("no PostgreSQL server binaries found (initdb, pg_ctl); " +
	"install them (Debian/Ubuntu: apt-get install postgresql) or set PGTWIN_PG_BIN to their directory")

// FindServerBin returns a directory that holds initdb, pg_ctl and postgres.
// It looks, in order, at $PGTWIN_PG_BIN, `pg_config --bindir`, the newest
// /usr/lib/postgresql/*/bin, and the directory of initdb on PATH.
func FindServerBin() (string, error) {
	var candidates []string
	if dir := os.Getenv("PGTWIN_PG_BIN"); dir != "" {
		candidates = append(candidates, dir)
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
	}
	candidates = append(candidates, DebianBinDirs()...)
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		candidates = append(candidates, filepath.Dir(p))
	}
	for _, dir := range candidates {
		if hasServer(dir) {
			return dir, nil
		}
	}
	return "", ErrNoServer
}

func hasServer(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.IsDir() {
			return false
		}
	}
	return true
}

// DebianBinDirs lists /usr/lib/postgresql/<major>/bin directories, newest
// major version first.
func DebianBinDirs() []string {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(matches, func(i, j int) bool {
		return majorOf(matches[i]) > majorOf(matches[j])
	})
	return matches
}

func majorOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// ParseMajor extracts the major version from the output of a PostgreSQL
// program's --version flag, e.g. "pg_dump (PostgreSQL) 15.18 (Debian ...)".
func ParseMajor(versionOutput string) (int, error) {
	fields := strings.Fields(versionOutput)
	for i, f := range fields {
		if f == "(PostgreSQL)" && i+1 < len(fields) {
			v := fields[i+1]
			end := 0
			for end < len(v) && v[end] >= '0' && v[end] <= '9' {
				end++
			}
			if n, err := strconv.Atoi(v[:end]); err == nil {
				return n, nil
			}
		}
	}
	return 0, fmt.Errorf("unrecognised version output %q", strings.TrimSpace(versionOutput))
}
