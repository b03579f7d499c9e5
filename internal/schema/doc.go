// Package schema gets the schema of the source database as SQL from the
// real pg_dump and pg_restore; pgtwin never generates DDL itself.
//
// FindTools picks a pg_dump new enough for the source server (pg_dump
// refuses servers newer than itself) and the pg_restore beside it. Dump runs
// pg_dump once, --schema-only --format=custom, under the run's exported
// snapshot, and has pg_restore write the archive's pre-data and post-data
// sections as two SQL scripts. A loader runs, in one transaction, PreData,
// then the rows, then PostData, so rows go in before indexes and
// constraints and every foreign key is checked at the end.
//
// # What the SQL contains, and what the loader must know
//
//   - psql meta-commands: pg_dump 15.14+, 16.10+ and 17.6+ wrap plain SQL in
//     \restrict KEY … \unrestrict KEY (CVE-2025-8714). Dump removes those two
//     lines. Schema-only output without --create (never used) has no other
//     meta-command, so the scripts run as they are through the simple query
//     protocol.
//   - Transactions: nothing in the scripts refuses a transaction block.
//     pg_dump never writes CREATE INDEX CONCURRENTLY, writes enums with all
//     their values in CREATE TYPE (no ALTER TYPE … ADD VALUE), and creates
//     no database, tablespace or subscription here.
//   - Session settings: each script starts with plain SETs (statement_timeout,
//     lock_timeout, idle_in_transaction_session_timeout, client_encoding,
//     standard_conforming_strings, check_function_bodies, xmloption,
//     client_min_messages, row_security), empties search_path with
//     pg_catalog.set_config, and pre-data later SETs
//     default_table_access_method. They are session settings: they
//     stay in force for the rest of the transaction (so the loader's own
//     statements between the sections must qualify every name) and, once it
//     commits, for the rest of the session; DDL.ResetSQL undoes them.
//   - Schemas: every dumped schema gets CREATE SCHEMA, except public in a
//     whole-database dump (no Schemas), where pg_dump assumes it exists as
//     initdb made it and writes only the differences (COMMENT ON SCHEMA
//     public, and with KeepOwners its owner and grants). DDL.CreatesSchema
//     tells the loader which schemas it must create itself after dropping
//     them, and DDL.CreateSchemaSQL gives the SQL (for public: as initdb
//     makes it). Without KeepOwners every schema the dump creates belongs to
//     the loading role and grants nothing to other roles, public included.
//   - Extensions: in a whole-database dump pg_dump writes every extension;
//     with --schema it writes none. Dump asks the source (under the same
//     snapshot) which extensions live in the included schemas or in
//     pg_catalog and names them with --extension, and in a whole-database
//     dump with excluded schemas it names every extension outside them, so
//     that no CREATE EXTENSION … WITH SCHEMA points at a schema the twin
//     lacks. Extensions come as CREATE EXTENSION IF NOT EXISTS: one that
//     already exists in the target is kept as it is (see DDL.Extensions).
//     Extensions in schemas that are not dumped are the target's business.
//     Dropping a schema with CASCADE drops the extensions that live in it.
//     A role that is not a superuser can only create trusted extensions.
//   - Row-level security is enabled (ALTER TABLE … ENABLE ROW LEVEL
//     SECURITY) in post-data, with the policies, so it does not get in the
//     way of loading rows between the sections.
//   - Materialized views are created WITH NO DATA and never refreshed
//     (that is data); the loader refreshes them after the rows, or leaves
//     them unpopulated.
//   - Sequences and identity columns start at their initial values: setval
//     is data too.
//   - Owners and privileges are left out unless KeepOwners is set, so the
//     objects belong to the loading role; with it, every role named must
//     exist in the target. Publications, subscriptions, security labels and
//     tablespace assignments are always left out.
//
// # Errors and cancellation
//
// A failing pg_dump or pg_restore gives an error that ends with its last
// messages, e.g. "pg_dump (exit status 1): pg_dump: error: query failed:
// ERROR:  permission denied for table x". The connection string's password
// reaches pg_dump through $PGPASSWORD, so it is not on its command line, and
// it is removed from every message. When ctx is cancelled pg_dump is
// interrupted (it cancels its query on the server, so no session is left
// waiting for a lock there) and killed if it does not stop.
package schema
