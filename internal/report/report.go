// Package report is what a clone did: per table rows, bytes, seconds and
// share, the keys cut, each phase's time, totals and warnings. It builds a
// Report from the copy's statistics and the plan, and writes it as text
// (for people) or as JSON (report_version 1, documented in the README: it
// only ever gains fields).
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/human"
	"github.com/pgtwin/pgtwin/internal/plan"
	"github.com/pgtwin/pgtwin/internal/subset"
)

// Version is the report_version of the JSON this package writes.
const Version = 1

// Report is what a run did.
type Report struct {
	Version    int           `json:"report_version"`
	Source     string        `json:"source"`
	Target     string        `json:"target"`
	SnapshotAt time.Time     `json:"snapshot_at"`
	Tables     []TableReport `json:"tables"`
	CutKeys    []CutReport   `json:"cut_keys,omitempty"`
	// Masked counts the values masked per column; MaskKeyFingerprint
	// identifies the key (never the key itself).
	Masked             []MaskedReport `json:"masked,omitempty"`
	MaskKeyFingerprint string         `json:"mask_key_fingerprint,omitempty"`
	Phases             []Phase        `json:"phases"`
	Rows               int64          `json:"rows"`
	Bytes              int64          `json:"bytes"`
	Seconds            float64        `json:"seconds"`
	Warnings           []string       `json:"warnings"`
}

// TableReport is one table's share of the twin.
type TableReport struct {
	Table   string  `json:"table"`
	Rows    int64   `json:"rows"`
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
	Queries int     `json:"queries"`
	// Share is the table's share of the twin's bytes, 0 to 1.
	Share float64 `json:"share"`
	// EstimatedRows is the plan's estimate of Rows.
	EstimatedRows int64 `json:"estimated_rows"`
}

// CutReport counts the rows whose key was set to NULL; -1 in a dump's
// report, where they are counted when the file is restored.
type CutReport struct {
	Key  string `json:"key"`
	Rows int64  `json:"rows"`
}

// MaskedReport counts the non-NULL values masked in one column.
type MaskedReport struct {
	Table  string `json:"table"`
	Column string `json:"column"`
	Values int64  `json:"values"`
}

// Phase is a named step and how long it took.
type Phase struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// New starts the report of a run.
func New() *Report {
	return &Report{Version: Version, Tables: []TableReport{}, Phases: []Phase{}, Warnings: []string{}}
}

// AddTables adds the copy's statistics, with the plan's estimates, to the
// tables and totals, and sets each table's share of the bytes.
func (r *Report) AddTables(stats []subset.TableStats, p *plan.Plan) {
	est := map[string]int64{}
	for _, t := range p.Tables {
		est[t.Table] = t.EstimatedRows
	}
	tables := make([]TableReport, 0, len(stats))
	for _, s := range stats {
		tables = append(tables, TableReport{Table: s.Table.Display(), Rows: s.Rows, Bytes: s.Bytes, Seconds: s.Duration.Seconds(),
			Queries: s.Queries, EstimatedRows: est[s.Table.Display()]})
		for _, m := range s.Masked {
			r.Masked = append(r.Masked, MaskedReport{Table: s.Table.Display(), Column: m.Column, Values: m.Values})
		}
	}
	r.AddTableReports(tables)
}

// AddTableReports adds tables to the report and its totals, and sets each
// table's share of the bytes.
func (r *Report) AddTableReports(tables []TableReport) {
	for _, t := range tables {
		r.Tables = append(r.Tables, t)
		r.Rows += t.Rows
		r.Bytes += t.Bytes
	}
	for i := range r.Tables {
		if r.Bytes > 0 {
			r.Tables[i].Share = float64(r.Tables[i].Bytes) / float64(r.Bytes)
		}
	}
}

// RowsByTable returns each table's rows, as the marker records them.
func (r *Report) RowsByTable() map[string]int64 {
	rows := map[string]int64{}
	for _, t := range r.Tables {
		rows[t.Table] = t.Rows
	}
	return rows
}

// WriteJSON writes the report as an indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// WriteText writes the per-table summary for people.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Twin of %s in %s, as of %s\n\n", r.Source, r.Target, r.SnapshotAt.Format(time.RFC3339))
	tw := tabwriter.NewWriter(&b, 0, 0, 3, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "table\trows\tbytes\tseconds\tshare\t")
	for _, t := range r.Tables {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%.2f\t%.1f%%\t\n", t.Table, t.Rows, human.Bytes(t.Bytes), t.Seconds, 100*t.Share)
	}
	fmt.Fprintf(tw, "total\t%d\t%s\t%.2f\t\t\n", r.Rows, human.Bytes(r.Bytes), r.Seconds)
	tw.Flush()
	for _, c := range r.CutKeys {
		if c.Rows < 0 {
			fmt.Fprintf(&b, "\ncut %s: rows set to NULL when the file is restored", c.Key)
			continue
		}
		fmt.Fprintf(&b, "\ncut %s: %d rows set to NULL", c.Key, c.Rows)
	}
	if len(r.Masked) > 0 {
		var cols []string
		for _, m := range r.Masked {
			cols = append(cols, fmt.Sprintf("%s.%s %d", m.Table, catalog.QuoteIfNeeded(m.Column), m.Values))
		}
		fmt.Fprintf(&b, "\nMasked values (key %s): %s", r.MaskKeyFingerprint, strings.Join(cols, ", "))
	}
	var phases []string
	for _, p := range r.Phases {
		phases = append(phases, fmt.Sprintf("%s %.2fs", p.Name, p.Seconds))
	}
	fmt.Fprintf(&b, "\nPhases: %s\n", strings.Join(phases, ", "))
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "! %s\n", w)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
