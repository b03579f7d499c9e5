package catalog

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// DumpTag names an object the way the headers of pg_dump's scripts do
// ("-- Name: <Tag>; Type: …; Schema: <Schema>"). A foreign key's tag is
// "<table> <constraint>".
type DumpTag struct {
	Schema, Tag string
}

// indexedForeignKeysQuery lists the foreign-key constraints (as declared:
// not the copies a partitioned table's key makes on its partitions) whose
// child columns, in any order, lead a plain btree index of the child
// table. The check that adding such a key runs can read the child's keys in
// order from that index and the parent's from its unique index.
const indexedForeignKeysQuery = `
SELECT n.nspname, c.relname || ' ' || con.conname
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE con.contype = 'f'
  AND con.conparentid = 0
  AND EXISTS (
    SELECT 1
    FROM pg_catalog.pg_index i
    JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_catalog.pg_am am ON am.oid = ic.relam
    WHERE i.indrelid = con.conrelid
      AND am.amname = 'btree'
      AND i.indpred IS NULL
      AND i.indnkeyatts >= pg_catalog.cardinality(con.conkey)
      AND ARRAY(SELECT k FROM pg_catalog.unnest((i.indkey::int2[])[0:pg_catalog.cardinality(con.conkey) - 1]) AS k ORDER BY k)
        = ARRAY(SELECT k FROM pg_catalog.unnest(con.conkey) AS k ORDER BY k))`

func readIndexedForeignKeys(ctx context.Context, tx pgx.Tx) (map[DumpTag]bool, error) {
	rows, err := tx.Query(ctx, indexedForeignKeysQuery)
	if err != nil {
		return nil, fmt.Errorf("read the indexes of foreign keys: %w", err)
	}
	indexed := map[DumpTag]bool{}
	var t DumpTag
	if _, err := pgx.ForEachRow(rows, []any{&t.Schema, &t.Tag}, func() error {
		indexed[t] = true
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read the indexes of foreign keys: %w", err)
	}
	return indexed, nil
}
