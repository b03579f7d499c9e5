// Package pglocal starts and stops throwaway PostgreSQL clusters from the
// server binaries installed on the machine (initdb, pg_ctl, postgres).
//
// The tests, the benchmark and `pgtwin demo` use it. A cluster lives in a
// private temporary directory, listens on a Unix socket inside it (and on a
// free loopback port when asked), runs with settings that trade durability for
// speed, and is removed by Stop. initdb and postgres refuse to run as root, so
// when the caller is root the server runs as the `postgres` OS user that the
// Debian package creates.
package pglocal
