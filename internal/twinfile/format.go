// Package twinfile reads and writes twin files: a whole twin (schema, rows,
// sequences, marker) as one plain SQL script that `psql --single-transaction
// -f` restores, optionally compressed (zstd by default, or gzip), with a
// manifest and checksums that `pgtwin restore` and `pgtwin inspect` check.
//
// The script is made of items, each announced by a directive: an SQL
// comment line "-- pgtwin:<kind> <JSON>", which psql ignores.
//
//	-- pgtwin twin file …                 (first line; human-readable lines follow)
//	-- pgtwin:header {…}                  what is known before the rows
//	-- pgtwin:section pre-data            the phase the next items belong to
//	-- pgtwin:sql {"bytes":N}             N bytes of SQL follow
//	-- pgtwin:copy {"table":…,"columns":…}
//	COPY … FROM stdin;                    COPY text rows, up to the line \.
//	\.
//	-- pgtwin:copied {"rows":…,"bytes":…,"sha256":…}
//	-- pgtwin:manifest {…}                the header plus per-table counts and checksums
//	-- pgtwin:end {"sha256":…}            the checksum of everything but the rows
//
// SQL is length-prefixed and rows end at the line "\.", which COPY text
// cannot hold as data (a backslash in a value is written "\\"), so no
// content can be mistaken for a directive. The end checksum covers every
// byte outside the rows, including the "copied" lines that carry each
// block's checksum; a table's checksum is the SHA-256 of its blocks'
// checksums in order. A file without its end line was cut short.
package twinfile

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/guard"
)

// FormatVersion is the format this package writes and the newest it reads.
const FormatVersion = 1

// firstLine begins every twin file (before compression).
const firstLine = "-- pgtwin twin file"

const directive = "-- pgtwin:"

// Sections of a twin file, in order; their names are the run's phases.
const (
	SectionPreData   = "pre-data"
	SectionData      = "data"
	SectionPostData  = "indexes and constraints"
	SectionSequences = "sequences"
	SectionCommit    = "commit"
)

// Sections lists the sections in the order a file holds them.
var Sections = []string{SectionPreData, SectionData, SectionPostData, SectionSequences, SectionCommit}

// Header is what a file says about itself before its rows.
type Header struct {
	Format        int       `json:"format"`
	PgtwinVersion string    `json:"pgtwin_version"`
	CreatedAt     time.Time `json:"created_at"`
	// Source describes the source for people (host, port, database; never
	// a password); SourceServerVersion is its server_version.
	Source              string         `json:"source"`
	SourceServerVersion string         `json:"source_server_version"`
	SourceIdentity      guard.Identity `json:"source_identity"`
	SnapshotAt          time.Time      `json:"snapshot_at"`
	ConfigHash          string         `json:"config_sha256"`
	// MaskKeyFingerprint identifies the masking key (never the key); empty
	// for a twin without masks.
	MaskKeyFingerprint string `json:"mask_key_fingerprint,omitempty"`
	// Schemas are the schemas the file replaces on its target.
	Schemas []string `json:"schemas"`
	// Tables are the twin's tables, in load order.
	Tables []catalog.Name `json:"tables"`
}

// Manifest is the header completed with what the rows were.
type Manifest struct {
	Header
	Rows   int64   `json:"rows"`
	Bytes  int64   `json:"bytes"`
	Counts []Count `json:"counts"`
}

// Count is one table's rows in the file and their checksum.
type Count struct {
	Table  catalog.Name `json:"table"`
	Rows   int64        `json:"rows"`
	Bytes  int64        `json:"bytes"`
	SHA256 string       `json:"sha256"`
}

// copyItem announces a block of COPY rows.
type copyItem struct {
	Table   catalog.Name `json:"table"`
	Columns []string     `json:"columns"`
}

// copiedItem closes a block of COPY rows.
type copiedItem struct {
	Rows   int64  `json:"rows"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// sqlItem announces Bytes bytes of SQL; Cut names the foreign key a
// statement cuts, when it does.
type sqlItem struct {
	Bytes int64  `json:"bytes"`
	Cut   string `json:"cut,omitempty"`
}

// endItem closes the file.
type endItem struct {
	SHA256 string `json:"sha256"`
}

// FormatError says a file is not a twin file this pgtwin can read, or not
// one whole: corrupted, cut short, changed after it was written.
type FormatError struct {
	Msg string
}

func (e *FormatError) Error() string { return e.Msg }

func formatErr(format string, args ...any) error {
	return &FormatError{Msg: fmt.Sprintf(format, args...)}
}

func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("twinfile: %v", err)) // only plain structs are marshalled
	}
	return b
}
