package plan

import (
	"fmt"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/mask"
)

// Resolved is a config checked against a source catalog, every name resolved.
type Resolved struct {
	File string
	// Schemas are the included schemas, sorted.
	Schemas []string
	// Copy holds the tables with a table rule: config.CopyAll or
	// config.CopySchema.
	Copy map[catalog.Name]string
	// Roots in config order.
	Roots []ResolvedRoot
	// Rules holds the per-FK rules, keyed by the catalog's (or virtual) key.
	Rules map[*catalog.ForeignKey]ResolvedFKRule
	// VirtualFKs are the config's virtual foreign keys (Virtual is set).
	VirtualFKs []*catalog.ForeignKey
	// Masking is the masking section, nil when the config has none.
	Masking *ResolvedMasking

	cfg *config.Config   // the config Check resolved, for CheckSQL's line numbers; nil when built by hand
	cat *catalog.Catalog // the catalog Check resolved against; nil when built by hand
}

// ResolvedRoot is a root with its table resolved.
type ResolvedRoot struct {
	Table   catalog.Name
	Where   string
	OrderBy string
	Limit   *int64
	Percent *float64
	All     bool
	Line    int
}

// ResolvedFKRule is a per-FK rule with its key resolved.
type ResolvedFKRule struct {
	FollowChildren bool
	ChildrenWhere  string
	Cut            bool
	Line           int

	index int // in the config's foreign_keys, for messages
}

// table is the catalog's table n; without a catalog (a Resolved built by
// hand), an ordinary table without a primary key.
func (r *Resolved) table(n catalog.Name) *catalog.Table {
	if r.cat != nil {
		if t := r.cat.Table(n); t != nil {
			return t
		}
	}
	return &catalog.Table{Name: n, Kind: catalog.Ordinary}
}

// line is the line of the config's key at path, or fallback.
func (r *Resolved) line(path string, fallback int) int {
	if r.cfg == nil {
		return fallback
	}
	return r.cfg.Line(path, fallback)
}

// Included reports whether table n is in an included schema.
func (r *Resolved) Included(n catalog.Name) bool {
	for _, s := range r.Schemas {
		if s == n.Schema {
			return true
		}
	}
	return false
}

// ResolvedMasking is the masking section with its names resolved.
type ResolvedMasking struct {
	KeyEnv   string
	Unlisted string
	// Rules has one entry per masked column, in config order.
	Rules []ResolvedMask
}

// ResolvedMask is the rule the config gives one column.
type ResolvedMask struct {
	Table  catalog.Name
	Column string
	Rule   mask.Rule
	// SQL is the expression of a sql mask; Type is the column's type, which
	// the expression's value is cast to.
	SQL  string
	Type string
	// Entry names the rule in the config (masking.columns[2]) and Line is
	// its line, for messages.
	Entry string
	Line  int
}

// Where says where the rule is written: "twin.yaml:12: masking.columns[2]".
func (r ResolvedMask) Where(file string) string {
	s := file
	if s == "" {
		s = "config"
	}
	if r.Line > 0 {
		s += fmt.Sprintf(":%d", r.Line)
	}
	return s + ": " + r.Entry
}
