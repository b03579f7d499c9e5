package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/load"
	"github.com/pgtwin/pgtwin/internal/schema"
)

// loadFloor is what the target alone needs to take the full twin in one
// transaction, the way pgtwin asks it to, with no source and no pgtwin
// sharing the machine: pg_dump's pre-data, each table's binary COPY
// (read beforehand into local files) WITH (FREEZE), post-data with the
// indexed foreign keys checked apart, the commit and ANALYZE. No load in
// one transaction can beat it; (f) reports it beside the baselines.
type loadFloor struct {
	ddl   *schema.DDL
	files map[string]string
}

// prepareLoadFloor dumps s's schema as a run does and its tables' rows as
// binary COPY files.
func (b *bench) prepareLoadFloor(ctx context.Context, s *shop) (*loadFloor, error) {
	conn, err := pgx.Connect(ctx, b.src.DSN(s.name))
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	cat, err := catalog.Read(ctx, conn)
	if err != nil {
		return nil, err
	}
	f := &loadFloor{files: map[string]string{}}
	if f.ddl, err = schema.Dump(ctx, b.tools, schema.DumpOptions{ConnString: b.src.DSN(s.name), IndexedForeignKeys: cat.IndexedForeignKeys}); err != nil {
		return nil, err
	}
	for _, t := range Tables {
		path := filepath.Join(b.dir, "floor-"+t+".copy")
		if err := copyToFile(ctx, conn, path, "COPY public."+t+" TO STDOUT (FORMAT binary)"); err != nil {
			return nil, fmt.Errorf("%s: %w", t, err)
		}
		f.files[t] = path
	}
	return f, nil
}

func copyToFile(ctx context.Context, conn *pgx.Conn, path, query string) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := conn.PgConn().CopyTo(ctx, out, query); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// run loads the full twin into a fresh target database from the files.
func (f *loadFloor) run(ctx context.Context, b *bench) (time.Duration, error) {
	if err := b.prepareTarget(ctx); err != nil {
		return 0, err
	}
	defer dropDB(context.WithoutCancel(ctx), b.tgt.DSN("postgres"), targetDB)
	conn, err := pgx.Connect(ctx, b.tgt.DSN(targetDB))
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	exec := func(sql string) error { return conn.PgConn().Exec(ctx, sql).Close() }
	start := time.Now()
	if err := exec("BEGIN;\n" + f.ddl.PreData); err != nil {
		return 0, fmt.Errorf("pre-data: %w", err)
	}
	for _, t := range Tables {
		in, err := os.Open(f.files[t])
		if err != nil {
			return 0, err
		}
		_, err = conn.PgConn().CopyFrom(ctx, in, "COPY public."+t+" FROM STDIN (FORMAT binary, FREEZE)")
		in.Close()
		if err != nil {
			return 0, fmt.Errorf("%s: %w", t, err)
		}
	}
	if err := exec(f.ddl.PostData + load.IndexedForeignKeysSQL(f.ddl.IndexedForeignKeys) + "COMMIT;"); err != nil {
		return 0, fmt.Errorf("post-data: %w", err)
	}
	if err := exec("ANALYZE public." + strings.Join(Tables, ", public.")); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// remove deletes the files.
func (f *loadFloor) remove() {
	for _, path := range f.files {
		os.Remove(path)
	}
}
