package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/human"
	"github.com/pgtwin/pgtwin/internal/pgtest"
)

// TestTwinFiles: a dump holds no unmasked value; inspect shows its
// manifest without a server; restore loads it; every damaged, cut short,
// changed, foreign or newer file is refused in one line (exit 2) with the
// target byte-identical; the source itself is refused as a target; and
// dump | restore works through a pipe.
func TestTwinFiles(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs real pgtwin processes and a server")
	}
	src := pgtest.DSN(pgtest.NewDB(t))
	createShop(t, src)
	cfg := shopConfig(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "twin.sql.zst")

	r := runPgtwin(t, nil, "dump", "--config", cfg, "--source", src, "--output", file, "--progress", "none")
	if r.code != 0 || !strings.Contains(r.stdout, "Twin of ") || !strings.Contains(r.stdout, "twin.sql.zst (zstd, ") {
		t.Fatalf("dump: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*partial*"))
	if len(leftovers) > 0 {
		t.Errorf("the dump left temporary files: %v", leftovers)
	}
	script := decompress(t, file)
	for _, email := range queryStrings(t, src, "SELECT email FROM users") {
		if strings.Contains(script, email) {
			t.Fatalf("the masked twin file holds the source's email %q", email)
		}
	}

	r = runPgtwin(t, nil, "inspect", file)
	for _, want := range []string{"Twin file " + file + " (zstd, ", ", format 1, made by pgtwin ", "\nMasked:   yes, key sha256:", "\npublic.users ", "\nChecksums: ok"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("inspect: exit %d, want %q in:\n%s%s", r.code, want, r.stdout, r.stderr)
		}
	}
	r = runPgtwin(t, nil, "inspect", "--json", file)
	var m struct {
		Format int   `json:"format"`
		Rows   int64 `json:"rows"`
		Counts []struct {
			Rows   int64  `json:"rows"`
			SHA256 string `json:"sha256"`
		} `json:"counts"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil || r.code != 0 {
		t.Fatalf("inspect --json: exit %d, %v\n%s", r.code, err, r.stdout)
	}
	var sum int64
	for _, c := range m.Counts {
		sum += c.Rows
	}
	if m.Format != 1 || m.Rows == 0 || sum != m.Rows {
		t.Errorf("inspect --json: format %d, rows %d, the tables' rows add up to %d", m.Format, m.Rows, sum)
	}

	tgt := pgtest.DSN(pgtest.NewDB(t))
	r = runPgtwin(t, nil, "restore", "--input", file, "--target", tgt, "--progress", "plain")
	if r.code != 0 {
		t.Fatalf("restore: exit %d\n%s", r.code, r.stderr)
	}
	if want := fmt.Sprintf("data: done, %s rows, ", human.Count(m.Rows)); !strings.Contains(r.stderr, want) {
		t.Errorf("restore's progress does not say %q:\n%s", want, r.stderr)
	}
	if got := queryStrings(t, tgt, "SELECT count(*)::text FROM users"); got[0] == "0" {
		t.Fatal("the restored twin has no users")
	}
	before := stateOf(t, tgt)

	good, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte(script)
	bad := map[string]struct {
		data    []byte
		message string
	}{
		"empty":             {nil, "^pgtwin: the file is empty: it is not a twin file"},
		"not a twin file":   {[]byte("--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\n"), "^pgtwin: not a pgtwin twin file"},
		"newer format":      {bytes.Replace(plain, []byte(`{"format":1,`), []byte(`{"format":2,`), 1), "^pgtwin: the twin file has format version 2; this pgtwin reads format 1"},
		"a row changed":     {changeRow(t, plain), `^pgtwin: the rows of public\.\S+ in the twin file do not match their checksum`},
		"the DDL changed":   {bytes.Replace(plain, []byte("CREATE TABLE public.users"), []byte("CREATE TABLE public.usErs"), 1), "checksum does not match its content|damaged"},
		"plain, cut short":  {plain[:len(plain)-30], "cut short"},
		"zstd, cut short":   {good[:len(good)-10], "cut short"},
		"zstd, cut at half": {good[:len(good)/2], "cut short"},
		"zstd, cut at 9":    {good[:9], "cut short|corrupted"},
	}
	for _, at := range []int{len(good) / 5, len(good) / 2, len(good) - 12} {
		flipped := bytes.Clone(good)
		flipped[at] ^= 0x10
		bad[fmt.Sprintf("zstd, byte %d flipped", at)] = struct {
			data    []byte
			message string
		}{flipped, "corrupted|damaged|changed|cut short"}
	}
	for name, c := range bad {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		if err := os.WriteFile(path, c.data, 0o600); err != nil {
			t.Fatal(err)
		}
		r := runPgtwin(t, nil, "restore", "--input", path, "--target", tgt, "--progress", "none")
		if r.code != 2 {
			t.Errorf("%s: exit %d, want 2\n%s", name, r.code, r.stderr)
		}
		r.oneLine(t, c.message)
		assertUnchanged(t, tgt, before)
		if r := runPgtwin(t, nil, "inspect", path); r.code != 2 {
			t.Errorf("inspect of %s: exit %d, want 2\n%s", name, r.code, r.stderr)
		}
	}

	// Over the twin it made, a restore is a refresh.
	if r := runPgtwin(t, nil, "restore", "--input", file, "--target", tgt, "--progress", "none", "--quiet"); r.code != 0 {
		t.Fatalf("restore over the twin: exit %d\n%s", r.code, r.stderr)
	}
	if got := queryStrings(t, tgt, "SELECT count(*)::text FROM pgtwin.runs"); got[0] != "2" {
		t.Errorf("after two restores pgtwin.runs holds %s rows, want 2", got[0])
	}
	// Someone else's database is refused as clone refuses it.
	other := pgtest.DSN(pgtest.NewDB(t, "CREATE TABLE customers (id int PRIMARY KEY); INSERT INTO customers VALUES (1)"))
	otherBefore := stateOf(t, other)
	r = runPgtwin(t, nil, "restore", "--input", file, "--target", other, "--progress", "none")
	if r.code != 2 {
		t.Errorf("restore into a database pgtwin did not make: exit %d, want 2", r.code)
	}
	r.oneLine(t, `^pgtwin: the target .+ holds 1 table \(.+\) in schema public and was not made by pgtwin; pass --overwrite-non-twin`)
	assertUnchanged(t, other, otherBefore)

	srcBefore := stateOf(t, src)
	r = runPgtwin(t, nil, "restore", "--input", file, "--target", src, "--progress", "none")
	if r.code != 2 {
		t.Errorf("restore into the source: exit %d, want 2", r.code)
	}
	r.oneLine(t, `^pgtwin: the target .+ is the database the twin file was made from \(same server system identifier \d+, database "\S+", OID \d+\): refusing to write`)
	assertUnchanged(t, src, srcBefore)

	// dump --output - | restore --input -, the dump reading with two sessions
	piped := pgtest.DSN(pgtest.NewDB(t))
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.Symlink(exe, filepath.Join(bin, "pgtwin")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-c", `set -e -o pipefail
pgtwin dump --config "$CFG" --source "$SRC" --output - --progress none --quiet --jobs 2 | pgtwin restore --input - --target "$TGT" --progress none --quiet`)
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "CFG="+cfg, "SRC="+src, "TGT="+piped)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dump | restore: %v\n%s", err, out)
	}
	// The markers differ: each says when its dump was made (and tgt has
	// had two restores).
	pipedState, fileState := stateOf(t, piped), before
	delete(pipedState.Tables, "pgtwin.runs")
	delete(fileState.Tables, "pgtwin.runs")
	if d := pipedState.diff(fileState); d != "" {
		t.Errorf("the piped twin differs from the one restored from the file: %s", d)
	}
}

// decompress reads a zstd twin file with the standard zstd tool.
func decompress(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("zstd", "-dc", path).Output()
	if err != nil {
		t.Fatalf("zstd -dc %s: %v", path, err)
	}
	return string(out)
}

// changeRow changes one character of the first row of the users' COPY
// block in a plain twin file.
func changeRow(t *testing.T, plain []byte) []byte {
	t.Helper()
	i := bytes.Index(plain, []byte("\nCOPY \"public\".\"users\""))
	if i < 0 {
		t.Fatal("no users rows in the file")
	}
	row := i + 1 + bytes.IndexByte(plain[i+1:], '\n') + 1
	out := bytes.Clone(plain)
	if out[row] == '9' {
		out[row] = '8'
	} else {
		out[row] = '9'
	}
	return out
}

func queryStrings(t *testing.T, dsn, sql string) []string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	rows, err := conn.Query(t.Context(), sql)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
