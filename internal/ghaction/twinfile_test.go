package ghaction

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pgtwin/pgtwin/internal/demo"
	"github.com/pgtwin/pgtwin/internal/pgtest"
)

// TestActionDumpAndRestore runs the action in dump mode from a sample shop
// database — with no target anywhere in its environment — and checks the
// twin file it writes and "uploads" (the runner stands in for the artifact
// storage), then in restore mode, as the next job of the workflow would,
// with no source and no masking key: from the artifact into one empty
// database, and from a file in the workspace into another.
func TestActionDumpAndRestore(t *testing.T) {
	needTools(t)
	ctx := context.Background()
	src := pgtest.NewDB(t)
	if err := demo.CreateShop(ctx, pgtest.Connect(t, src), 1); err != nil {
		t.Fatal(err)
	}
	ws := workspaceWith(t, demo.Config)

	dump := newRunner(t, map[string]string{"mode": "dump", "pg-version": newestPgBinMajor()},
		map[string]string{"PROD_DATABASE_URL": pgtest.URL(src), "PGTWIN_MASK_KEY": testMaskKey}, ws)
	if code := dump.run(); code != 0 {
		t.Fatalf("the action failed (exit %d):\n%s", code, dump.log.String())
	}
	t.Logf("steps:\n%s", dump.log.String())

	out := dump.outputs()
	file := filepath.Join(dump.temp, "twin.sql.zst")
	if out["file"] != file {
		t.Fatalf("file output = %q, want the default %s", out["file"], file)
	}
	rep := readReport(t, out["report"])
	if rep.Version != 1 || rep.Rows == 0 || len(rep.Tables) == 0 {
		t.Fatalf("unexpected report: %+v", rep)
	}
	if out["rows"] != strconv.FormatInt(rep.Rows, 10) {
		t.Errorf("rows output = %q, the report says %d", out["rows"], rep.Rows)
	}
	if !strings.HasPrefix(rep.Target, file+" (zstd, ") {
		t.Errorf("the report's target is %q, want the file", rep.Target)
	}

	// pgtwin inspect accepts the file, and it holds the rows the outputs say.
	cmd := exec.Command(dump.steps["install"]["path"], "inspect", "--json", file)
	cmd.Env = baseEnv()
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("pgtwin inspect %s: %v\n%s", file, err, stderrOf(err))
	}
	var manifest struct {
		Rows               int64  `json:"rows"`
		MaskKeyFingerprint string `json:"mask_key_fingerprint"`
	}
	if err := json.Unmarshal(b, &manifest); err != nil {
		t.Fatalf("pgtwin inspect --json: %v\n%s", err, b)
	}
	if manifest.Rows != rep.Rows {
		t.Errorf("the file's manifest says %d rows, the report %d", manifest.Rows, rep.Rows)
	}
	if manifest.MaskKeyFingerprint == "" {
		t.Error("the demo config masks, but the file says it is not masked")
	}

	// The upload step ran with the file, the default name and retention,
	// and no second compression of a zstd file.
	up, ok := dump.uploads["pgtwin-twin"]
	if !ok {
		t.Fatalf("the twin file was not uploaded as pgtwin-twin:\n%s", dump.log.String())
	}
	for k, want := range map[string]string{"path": file, "retention-days": "7", "if-no-files-found": "error", "compression-level": "0"} {
		if up[k] != want {
			t.Errorf("upload-artifact %s = %q, want %q", k, up[k], want)
		}
	}
	if v := newestPgBinMajor(); v != "" && dump.steps["postgres"]["pg-bin"] != "/usr/lib/postgresql/"+v+"/bin" {
		t.Errorf("pg-version %s: pg-bin output = %q", v, dump.steps["postgres"]["pg-bin"])
	}

	sum := dump.summaryText()
	t.Logf("job summary:\n%s", sum)
	for _, w := range []string{
		"### pgtwin dump: " + commas(rep.Rows) + " rows written to a twin file",
		"The file is uploaded as the workflow artifact `pgtwin-twin`.",
		"| table | rows | bytes | seconds |",
		"| phase | seconds |",
	} {
		if !strings.Contains(sum, w) {
			t.Errorf("the job summary lacks %q", w)
		}
	}
	if strings.Contains(dump.log.String(), pgtest.URL(src)) || strings.Contains(sum, pgtest.URL(src)) {
		t.Error("the source's connection string appears in the log or the summary")
	}

	// restore checks a restore run: rows output, file output, every row of
	// the report's tables in the target, no pg_dump installed.
	restored := func(t *testing.T, r *runner, tgt, wantFile string) {
		t.Helper()
		if code := r.run(); code != 0 {
			t.Fatalf("the action failed (exit %d):\n%s", code, r.log.String())
		}
		t.Logf("steps:\n%s", r.log.String())
		out := r.outputs()
		if wantFile != "" && out["file"] != wantFile {
			t.Errorf("file output = %q, want %q", out["file"], wantFile)
		}
		checkRows(t, out["rows"], rep, tgt)
		if !strings.Contains(r.log.String(), "no pg_dump needed") || r.steps["postgres"]["pg-bin"] != "" {
			t.Errorf("restore mode looked for a pg_dump:\n%s", r.log.String())
		}
		if sum := r.summaryText(); !strings.Contains(sum, "### pgtwin restore: "+commas(rep.Rows)+" rows restored") {
			t.Errorf("the job summary:\n%s", sum)
		}
		if strings.Contains(r.log.String(), pgtest.URL(tgt)) {
			t.Error("the target's connection string appears in the log")
		}
	}

	t.Run("artifact", func(t *testing.T) {
		// The next job: a fresh workspace, the target only, the artifact of
		// the same workflow run.
		tgt := pgtest.NewDB(t)
		r := newRunner(t, map[string]string{"mode": "restore"}, map[string]string{"DEV_DATABASE_URL": pgtest.URL(tgt)}, t.TempDir())
		r.artifacts = dump.artifacts
		restored(t, r, tgt, "")
		got := r.outputs()["file"]
		if filepath.Base(got) != "twin.sql.zst" || !strings.HasPrefix(got, r.steps["inputs"]["dir"]+"/") {
			t.Errorf("file output = %q, want twin.sql.zst in the download directory %s", got, r.steps["inputs"]["dir"])
		}
	})

	t.Run("file", func(t *testing.T) {
		// A file in the workspace, named relative to it: nothing is
		// downloaded, and the target is an input.
		tgt := pgtest.NewDB(t)
		ws := t.TempDir()
		copyFile(t, file, filepath.Join(ws, "nightly.sql.zst"))
		r := newRunner(t, map[string]string{"mode": "restore", "file": "nightly.sql.zst", "target": pgtest.URL(tgt)}, nil, ws)
		r.artifacts = t.TempDir() // empty: a download would fail
		restored(t, r, tgt, filepath.Join(ws, "nightly.sql.zst"))
		if !strings.Contains(r.log.String(), "## Download the twin file: skipped") {
			t.Errorf("restore with file still downloaded:\n%s", r.log.String())
		}
	})

	t.Run("no upload", func(t *testing.T) {
		// artifact: "" keeps the file on the runner; a name ending in .gz
		// makes it gzip; file is relative to the workspace.
		r := newRunner(t, map[string]string{"mode": "dump", "file": "out/twin.sql.gz", "artifact": "", "summary": "false", "args": "--quiet"},
			map[string]string{"PROD_DATABASE_URL": pgtest.URL(src), "PGTWIN_MASK_KEY": testMaskKey}, ws)
		if code := r.run(); code != 0 {
			t.Fatalf("the action failed (exit %d):\n%s", code, r.log.String())
		}
		want := filepath.Join(ws, "out", "twin.sql.gz")
		if got := r.outputs()["file"]; got != want {
			t.Errorf("file output = %q, want %q", got, want)
		}
		if b, err := os.ReadFile(want); err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s is not a gzip file (%v)", want, err)
		}
		if len(r.uploads) != 0 || !strings.Contains(r.log.String(), "## Upload the twin file: skipped") {
			t.Errorf("artifact: \"\" still uploaded:\n%s", r.log.String())
		}
	})
}

// TestActionRefusesBadModes: a wrong mode, or an input that does not fit
// the mode, fails the first step with exit 2 and an annotation, before
// anything is installed or any database is touched.
func TestActionRefusesBadModes(t *testing.T) {
	needTools(t)
	for _, tc := range []struct {
		name   string
		inputs map[string]string
		want   string
	}{
		{"unknown mode", map[string]string{"mode": "copy"}, "mode must be clone, dump or restore, not copy"},
		{"empty mode", map[string]string{"mode": ""}, "mode must be clone, dump or restore, not ''"},
		{"injected mode", map[string]string{"mode": "x\n::warning::y"}, "mode must be clone, dump or restore, not $'x\\n::warning::y'"},
		{"dump with target", map[string]string{"mode": "dump", "target": "postgres://dev/shop"}, "mode dump writes a twin file, not a database: remove target"},
		{"restore with source", map[string]string{"mode": "restore", "source": "postgres://prod/shop"}, "mode restore reads a twin file, not a database: remove source"},
		{"restore from nothing", map[string]string{"mode": "restore", "artifact": ""}, "mode restore needs file (a twin file in the workspace) or artifact"},
		{"clone with file", map[string]string{"file": "twin.sql.zst"}, "file is for mode dump or restore"},
		{"stdout", map[string]string{"mode": "dump", "file": "-"}, "file: - (stdin or stdout) is not for the action"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRunner(t, tc.inputs, nil, t.TempDir())
			if code := r.run(); code != 2 {
				t.Fatalf("exit %d, want 2:\n%s", code, r.log.String())
			}
			if !strings.Contains(r.log.String(), "::error title=pgtwin::"+tc.want) {
				t.Errorf("the log lacks the annotation %q:\n%s", tc.want, r.log.String())
			}
			if strings.Contains(r.log.String(), "\n::warning::") {
				t.Errorf("an input made a workflow command of its own:\n%s", r.log.String())
			}
			if strings.Contains(r.log.String(), "## Install pgtwin") {
				t.Errorf("the action went on after a bad input:\n%s", r.log.String())
			}
		})
	}
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
