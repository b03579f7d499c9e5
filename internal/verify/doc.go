// Package verify checks an existing twin on its own, read-only, in one
// READ ONLY REPEATABLE READ transaction:
//
//   - every foreign key holds: no row lacks its parent, NOT VALID
//     constraints included (PostgreSQL does not check their existing
//     rows), with MATCH SIMPLE and MATCH FULL semantics and composite keys;
//     on partitioned tables only the top-level constraint is checked;
//   - every sequence owned by a column (serial or identity) is ahead of the
//     column's data, so new inserts do not collide;
//   - the pgtwin marker (a row in pgtwin.runs) is present;
//   - with a source (RunWith, Options.Source), no masked column the marker
//     lists holds its source row's value: the twin's rows are streamed
//     (primary key and masked columns as text) and looked up in the
//     source by primary key, in batches, in a READ ONLY REPEATABLE READ
//     transaction there. Only counts and example primary keys are
//     reported, never a value.
//
// Run returns a typed Report; Report.OK says whether everything holds.
package verify
