package config

import "github.com/pgtwin/pgtwin/internal/catalog"

// Resolved is a config checked against a source catalog, every name resolved.
type Resolved struct {
	File string
	// Schemas are the included schemas, sorted.
	Schemas []string
	// Copy holds the tables with a table rule: CopyAll or CopySchema.
	Copy map[catalog.Name]string
	// Roots in config order.
	Roots []ResolvedRoot
	// Rules holds the per-FK rules, keyed by the catalog's (or virtual) key.
	Rules map[*catalog.ForeignKey]ResolvedFKRule
	// VirtualFKs are the config's virtual foreign keys (Virtual is set).
	VirtualFKs []*catalog.ForeignKey
	// Masking is the masking section, nil when the config has none.
	Masking *ResolvedMasking

	lines map[string]int   // the config's key lines, for CheckSQL's messages
	cat   *catalog.Catalog // the catalog Check resolved against; nil when built by hand
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

// Included reports whether table n is in an included schema.
func (r *Resolved) Included(n catalog.Name) bool {
	for _, s := range r.Schemas {
		if s == n.Schema {
			return true
		}
	}
	return false
}
