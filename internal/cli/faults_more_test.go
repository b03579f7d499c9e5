package cli_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/pgtwin/pgtwin/internal/cli"
	"github.com/pgtwin/pgtwin/internal/pgtest"
)

// TestTerminated: SIGTERM (what a CI runner or systemd sends to stop a job)
// rolls back like the first Ctrl-C. The run is held in the data phase by a
// lock on the source's orders (holdUse).
func TestTerminated(t *testing.T) {
	srcDB := pgtest.NewDB(t, shopSchema)
	src := pgtest.DSN(srcDB)
	tgt := pgtest.DSN(pgtest.NewDB(t))
	cfg := writeFile(t, "twin.yaml", "version: 1\nroots:\n  - table: orders\n    all: true\n")
	cloneOK(t, src, tgt, cfg)
	before := stateOf(t, tgt)
	r, letGo := holdUse(t, srcDB, "public.orders", isCopy, func() *pgtwinRun {
		return startPlain(t, "clone", "--config", cfg, "--source", src, "--target", tgt)
	})
	defer letGo()
	signal(t, r, syscall.SIGTERM)
	if code := r.wait(t); code != cli.ExitInterrupted {
		t.Errorf("exit code %d, want %d\n%s", code, cli.ExitInterrupted, r.stderr())
	}
	r.lastLine(t, `^pgtwin: interrupted: the run was rolled back, the target is as it was$`)
	assertUnchanged(t, tgt, before)
}

// TestConstraintErrorOnTarget: the target refuses what pgtwin made of the
// rows. Cutting a key sets it to NULL, and a UNIQUE NULLS NOT DISTINCT
// constraint on that key then holds twice the same "value": the index
// build in post-data fails, and the target keeps its previous twin.
func TestConstraintErrorOnTarget(t *testing.T) {
	t.Parallel()
	src := pgtest.DSN(pgtest.NewDB(t, shopSchema+`
ALTER TABLE orders ADD CONSTRAINT one_order_per_coupon UNIQUE NULLS NOT DISTINCT (coupon_id);`))
	tgt := pgtest.DSN(pgtest.NewDB(t))
	whole := writeFile(t, "whole.yaml", "version: 1\nroots:\n  - table: orders\n    all: true\n")
	cloneOK(t, src, tgt, whole)
	before := stateOf(t, tgt)
	cut := writeFile(t, "cut.yaml", `version: 1
roots:
  - table: orders
    all: true
tables:
  - table: coupons
    copy: schema
foreign_keys:
  - table: orders
    columns: [coupon_id]
    cut: true
`)
	r := runPgtwin(t, nil, "clone", "--quiet", "--config", cut, "--source", src, "--target", tgt)
	if r.code != 1 {
		t.Errorf("exit code %d, want 1\n%s", r.code, r.stderr)
	}
	r.oneLine(t, `^pgtwin: build indexes and constraints on the target \(pg_dump's post-data\): ERROR: could not create unique index "one_order_per_coupon" \(SQLSTATE 23505\)$`)
	assertUnchanged(t, tgt, before)
}

const shopSchema = `
CREATE TABLE coupons (id int PRIMARY KEY);
CREATE TABLE orders (id int PRIMARY KEY, coupon_id int REFERENCES coupons);
INSERT INTO coupons SELECT generate_series(1, 3);
INSERT INTO orders SELECT i, i FROM generate_series(1, 3) i;`

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
