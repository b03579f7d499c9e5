package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/pgtwin/pgtwin/internal/cli"
	"github.com/pgtwin/pgtwin/internal/pgtest"
)

// TestRestoreStoppedMidCopy: a restore fed through stdin is stopped while
// the target takes the rows of its biggest table — by SIGINT (exit 130,
// rolled back at once), by SIGKILL, and by its input ending there (a cut
// short download: refused, exit 2). Each leaves the previous twin
// byte-identical.
func TestRestoreStoppedMidCopy(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs real pgtwin processes and a server")
	}
	src := pgtest.DSN(pgtest.NewDB(t))
	createShop(t, src)
	file := filepath.Join(t.TempDir(), "twin.sql")
	if r := runPgtwin(t, nil, "dump", "--config", shopConfig(t), "--source", src, "--output", file, "--quiet"); r.code != 0 {
		t.Fatalf("dump: exit %d\n%s", r.code, r.stderr)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cut := middleOfBiggestBlock(t, data)
	tgtDB := pgtest.NewDB(t)
	tgt := pgtest.DSN(tgtDB)
	if r := runPgtwin(t, nil, "restore", "--input", file, "--target", tgt, "--quiet"); r.code != 0 {
		t.Fatalf("restore: exit %d\n%s", r.code, r.stderr)
	}
	before := stateOf(t, tgt)

	for _, c := range []struct {
		name string
		stop func(*pgtwinRun)
		code int
		last string
	}{
		{"SIGINT", func(r *pgtwinRun) { signal(t, r, os.Interrupt) }, cli.ExitInterrupted, `^pgtwin: interrupted: the restore was rolled back, the target is as it was$`},
		{"SIGKILL", func(r *pgtwinRun) { r.cmd.Process.Kill() }, -1, ""},
		{"input ends", func(r *pgtwinRun) { r.stdin.Close() }, cli.ExitUsage, `^pgtwin: the twin file is cut short: it ends before its end line`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := startPlain(t, "restore", "--input", "-", "--target", tgt, "--quiet")
			if _, err := r.stdin.Write(data[:cut]); err != nil {
				t.Fatal(err)
			}
			n := copyingMidStream(t, r, tgtDB)
			c.stop(r)
			start := time.Now()
			if code := r.wait(t); code != c.code {
				t.Errorf("exit code %d, want %d\n%s", code, c.code, r.stderr())
			}
			t.Logf("stopped after the target had taken %d rows", n)
			if c.last != "" {
				r.lastLine(t, c.last)
			}
			sessionsEnd(t, tgtDB, start, 30*time.Second, "the stopped restore's target session")
			assertUnchanged(t, tgt, before)
		})
	}
}

// middleOfBiggestBlock returns the offset of a line start half-way into
// the biggest block of COPY rows of a plain twin file.
func middleOfBiggestBlock(t *testing.T, data []byte) int {
	t.Helper()
	best, bestLen := -1, 0
	for off := 0; ; {
		i := bytes.Index(data[off:], []byte("\nCOPY "))
		if i < 0 {
			break
		}
		rows := off + i + 1 + bytes.IndexByte(data[off+i+1:], '\n') + 1
		end := rows + bytes.Index(data[rows:], []byte("\n\\.\n"))
		if end-rows > bestLen {
			best, bestLen = rows, end-rows
		}
		off = end
	}
	if best < 0 || bytes.Count(data[best:best+bestLen], []byte{'\n'}) < 100 {
		t.Fatalf("the twin file has no block of 100 rows to stop in")
	}
	mid := best + bestLen/2
	return mid + bytes.IndexByte(data[mid:], '\n') + 1
}

// TestDumpStopped: a dump stopped by SIGINT or SIGTERM while it reads the
// source's rows (held there by a lock on orders) exits 130, says so, and
// leaves the file it was to replace as it was, with no partial file
// beside it.
func TestDumpStopped(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs real pgtwin processes and a server")
	}
	srcDB := pgtest.NewDB(t)
	src := pgtest.DSN(srcDB)
	createShop(t, src)
	cfg := shopConfig(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "twin.sql.zst")
	earlier := []byte("an earlier twin file, kept until a new one is whole\n")
	if err := os.WriteFile(file, earlier, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		sig  os.Signal
	}{{"SIGINT", os.Interrupt}, {"SIGTERM", syscall.SIGTERM}} {
		t.Run(c.name, func(t *testing.T) {
			r, letGo := holdUse(t, srcDB, "public.orders", isCopy, func() *pgtwinRun {
				return startPlain(t, "dump", "--config", cfg, "--source", src, "--output", file, "--quiet")
			})
			defer letGo()
			signal(t, r, c.sig)
			if code := r.wait(t); code != cli.ExitInterrupted {
				t.Errorf("exit code %d, want %d\n%s", code, cli.ExitInterrupted, r.stderr())
			}
			r.lastLine(t, `^pgtwin: interrupted: the dump was stopped, no file was written \(.+twin\.sql\.zst is as it was\)$`)
			if got, err := os.ReadFile(file); err != nil || !bytes.Equal(got, earlier) {
				t.Errorf("the earlier file changed (%v): %q", err, got)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("the dump left files behind: %v", entries)
			}
		})
	}
}
