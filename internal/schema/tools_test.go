package schema

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeBin makes a directory with pg_dump and pg_restore scripts that print
// the given version.
func fakeBin(t *testing.T, version string, withRestore bool) string {
	t.Helper()
	dir := t.TempDir()
	names := []string{"pg_dump"}
	if withRestore {
		names = append(names, "pg_restore")
	}
	for _, name := range names {
		script := "#!/bin/sh\necho '" + name + " (PostgreSQL) " + version + "'\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// noSystemDirs hides the standard locations for the duration of the test.
func noSystemDirs(t *testing.T) {
	old := systemBinDirs
	systemBinDirs = func() []string { return nil }
	t.Cleanup(func() { systemBinDirs = old })
}

func TestFindToolsExplicitTooOld(t *testing.T) {
	old := fakeBin(t, "11.22", true)
	new := fakeBin(t, "17.2", true)
	// The explicit directory wins over a good one elsewhere, and fails.
	_, err := FindTools(15, old, env(map[string]string{"PGTWIN_PG_BIN": new, "PATH": new}))
	want := "pg_dump 15 or newer is needed for this PostgreSQL 15 server, found: pg_dump 11 (" + old +
		"/pg_dump); install postgresql-client-15 (apt: https://wiki.postgresql.org/wiki/Apt) or point --pg-bin at its bin directory"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	var te *ToolsError
	if !errors.As(err, &te) || te.NotFound() || te.Needed != 15 || te.PgBin != old || len(te.Found) != 1 || te.Found[0].Major != 11 {
		t.Errorf("ToolsError = %+v", te)
	}
}

func TestFindToolsExplicitMissing(t *testing.T) {
	dir := t.TempDir()
	_, err := FindTools(16, dir, env(nil))
	want := "pg_dump not found in --pg-bin directory " + dir + ": point --pg-bin at the bin directory of a PostgreSQL 16 (or newer) client"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
}

func TestFindToolsOrder(t *testing.T) {
	noSystemDirs(t)
	v14, v16, v17 := fakeBin(t, "14.1", true), fakeBin(t, "16.4", true), fakeBin(t, "17.0", true)
	for _, tt := range []struct {
		name   string
		server int
		vars   map[string]string
		want   string
		major  int
	}{
		{"env first", 14, map[string]string{"PGTWIN_PG_BIN": v16, "PATH": v17}, v16, 16},
		{"env too old, PATH next", 17, map[string]string{"PGTWIN_PG_BIN": v16, "PATH": v17}, v17, 17},
		{"unknown server", 0, map[string]string{"PATH": v14 + string(filepath.ListSeparator) + v17}, v14, 14},
		{"newer is fine", 15, map[string]string{"PATH": v17}, v17, 17},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tools, err := FindTools(tt.server, "", env(tt.vars))
			if err != nil {
				t.Fatal(err)
			}
			if tools.PgDump != filepath.Join(tt.want, "pg_dump") || tools.PgRestore != filepath.Join(tt.want, "pg_restore") || tools.Major != tt.major {
				t.Errorf("FindTools = %+v, want %s (%d)", tools, tt.want, tt.major)
			}
		})
	}
}

func TestFindToolsNeeded(t *testing.T) {
	// The real installation is found, and is not new enough for PostgreSQL 99.
	_, err := FindTools(99, "", os.Getenv)
	var te *ToolsError
	if !errors.As(err, &te) || te.NotFound() {
		t.Fatalf("err = %v, want a ToolsError listing what was found", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"pg_dump 99 or newer is needed for this PostgreSQL 99 server, found: pg_dump ",
		"; install postgresql-client-99 (apt: https://wiki.postgresql.org/wiki/Apt) or point --pg-bin at its bin directory",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error is not one line: %q", msg)
	}
}

func TestFindToolsNothing(t *testing.T) {
	noSystemDirs(t)
	_, err := FindTools(16, "", env(map[string]string{"PATH": t.TempDir()}))
	want := "pg_dump not found: install the PostgreSQL client (Debian/Ubuntu: apt-get install postgresql-client-16) or pass --pg-bin"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	var te *ToolsError
	if !errors.As(err, &te) || !te.NotFound() {
		t.Errorf("ToolsError = %+v, want NotFound", te)
	}
}

func TestFindToolsProblems(t *testing.T) {
	noSystemDirs(t)
	noRestore := fakeBin(t, "16.1", false)
	garbage := t.TempDir()
	if err := os.WriteFile(filepath.Join(garbage, "pg_dump"), []byte("#!/bin/sh\necho hello\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	old := fakeBin(t, "12.3", true)
	_, err := FindTools(12, "", env(map[string]string{"PATH": noRestore, "PGTWIN_PG_BIN": garbage}))
	msg := err.Error()
	for _, want := range []string{
		"pg_dump 14 or newer is needed (pgtwin needs 14+; this server is PostgreSQL 12), found: ",
		garbage + `/pg_dump (version unknown: unrecognised version output "hello")`,
		"pg_dump 16 (" + noRestore + "/pg_dump, no pg_restore beside it)",
		"install postgresql-client-14",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	// pg_dump 12 is older than pgtwin supports, whatever the server.
	if _, err := FindTools(12, old, env(nil)); err == nil {
		t.Error("pg_dump 12 accepted")
	}
}

func TestFindToolsInstalled(t *testing.T) {
	tools, err := FindTools(15, "", os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	if tools.Major < 15 {
		t.Errorf("FindTools(15) = %+v", tools)
	}
	for _, p := range []string{tools.PgDump, tools.PgRestore} {
		if !isExecutable(p) {
			t.Errorf("%s is not executable", p)
		}
		if isPgWrapper(p) {
			t.Errorf("%s is Debian's pg_wrapper", p)
		}
	}
}
