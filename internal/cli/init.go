package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/graph"
	"github.com/pgtwin/pgtwin/internal/pii"
	"github.com/pgtwin/pgtwin/internal/source"
)

// Thresholds of the starter config: tables at most this big that other
// tables reference are suggested as `copy: all` lookup tables.
const lookupRows = 1000

// countBytes: a table that was never analyzed and takes at most this much
// disk is counted exactly by init (a count(*) of 8 MB is quick).
const countBytes = 8 << 20

type initCmd struct {
	env    Env
	source string
	output string
	force  bool
}

func newInit(env Env) *cobra.Command {
	c := &initCmd{env: env}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a starter config for a source database",
		Long: `init reads the source's catalog (read-only) and writes a starter config: suggested
roots (the largest tables that others reference), small lookup tables copied
whole, every table listed with its estimated rows and keys, and comments
explaining each option. It looks for columns that hold personal data (by
name, type and comment, and by a small sample of values read in the same
read-only snapshot; no value is ever printed) and writes a masking rule for
each, with the reason. Review it, then run pgtwin plan.`,
		Example: `  pgtwin init --source "$PROD_DATABASE_URL" --output twin.yaml
  pgtwin plan --config twin.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return c.run(cmd.Context()) },
	}
	cmd.Flags().StringVar(&c.source, "source", "", "source database URL or keyword/value string (default $"+DefaultSourceEnv+")")
	cmd.Flags().StringVarP(&c.output, "output", "o", "", "write the config to this file instead of stdout")
	cmd.Flags().BoolVar(&c.force, "force", false, "overwrite --output if it exists")
	return cmd
}

func (c *initCmd) run(ctx context.Context) error {
	if c.output != "" && !c.force {
		if _, err := os.Stat(c.output); err == nil {
			return usagef("%s exists; pass --force to overwrite it", c.output)
		}
	}
	empty := &config.Config{Version: 1}
	ep, err := c.env.endpoint(empty, "source", c.source)
	if err != nil {
		return err
	}
	src, err := source.Open(ctx, ep, false)
	if err != nil {
		return err
	}
	defer src.Close(ctx)
	exact, err := countUnanalyzed(ctx, src.Tx, src.Catalog)
	if err != nil {
		return err
	}
	found := pii.FromCatalog(src.Catalog, nil)
	sampled, warnings, err := pii.Sample(ctx, src.Tx, src.Catalog, nil, found)
	if err != nil {
		return fmt.Errorf("sample the source for personal data: %w", err)
	}
	for _, w := range warnings {
		fmt.Fprintf(c.env.Stderr, "pgtwin: warning: %s\n", w)
	}
	found = pii.Merge(src.Catalog, found, sampled)
	text := starterConfig(src.Catalog, found, exact, time.Now())
	if c.output == "" {
		_, err := io.WriteString(c.env.Stdout, text)
		return err
	}
	if err := os.WriteFile(c.output, []byte(text), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", c.output, err)
	}
	fmt.Fprintf(c.env.Stderr, "pgtwin: wrote %s; review it, then run: pgtwin plan --config %s\n", c.output, c.output)
	return nil
}

// countUnanalyzed counts, in the source's snapshot, the rows of the tables
// that were never analyzed (no estimate) and are small enough to count at
// once: a database that was just restored or created has no statistics,
// and its lookup tables should still be recognised as small. It sets their
// EstimatedRows and returns them as the tables whose counts are exact.
// Bigger tables keep no estimate and are shown as never analyzed.
func countUnanalyzed(ctx context.Context, tx pgx.Tx, cat *catalog.Catalog) (map[catalog.Name]bool, error) {
	exact := map[catalog.Name]bool{}
	for _, t := range cat.Tables {
		if t.EstimatedRows >= 0 || t.Bytes > countBytes {
			continue
		}
		from := "ONLY " + t.Name.String()
		if t.Kind == catalog.Partitioned {
			from = t.Name.String()
		}
		var n int64
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+from).Scan(&n); err != nil {
			return nil, fmt.Errorf("count the rows of %s (never analyzed): %w", t.Name.Display(), err)
		}
		t.EstimatedRows = n
		exact[t.Name] = true
	}
	return exact, nil
}

// starterConfig writes the config text for cat, with a masking rule for
// each of the personal-looking columns found. A small table that others
// reference is suggested as a lookup table copied whole only when nothing
// in it looks personal. The row counts of the tables in exact were
// counted, not estimated.
func starterConfig(cat *catalog.Catalog, found []pii.Finding, exact map[catalog.Name]bool, now time.Time) string {
	g := graph.FromCatalog(cat, nil)
	roots, lookups, personalLookups := suggest(cat, g, found)
	var b strings.Builder
	writeHeader(&b, cat, now)
	writeRules(&b, roots, lookups, personalLookups, exact)
	b.WriteString(maskingSection(found))
	writeTables(&b, cat, g, exact)
	return b.String()
}

// suggest picks the roots (the biggest tables others reference, one or
// two) and the lookup tables (small ones others reference) of the starter
// config; small referenced tables with personal data are personalLookups.
func suggest(cat *catalog.Catalog, g *graph.Graph, found []pii.Finding) (roots, lookups, personalLookups []*catalog.Table) {
	personal := map[catalog.Name]bool{}
	for _, f := range found {
		personal[f.Table] = true
	}
	for _, t := range cat.Tables {
		referenced := false
		for _, fk := range g.Down[t.Name] {
			if fk.Child != t.Name {
				referenced = true
			}
		}
		switch {
		case !referenced:
		case t.EstimatedRows >= 0 && t.EstimatedRows <= lookupRows && personal[t.Name]:
			// Never copy a table of personal data whole.
			personalLookups = append(personalLookups, t)
		case t.EstimatedRows >= 0 && t.EstimatedRows <= lookupRows:
			lookups = append(lookups, t)
		default:
			roots = append(roots, t)
		}
	}
	sort.SliceStable(roots, func(i, j int) bool { return roots[i].EstimatedRows > roots[j].EstimatedRows })
	// The biggest referenced table that references no other root is the
	// likeliest entity (users, customers); suggest one or two.
	if len(roots) > 2 {
		roots = roots[:2]
	}
	return roots, lookups, personalLookups
}

// writeHeader writes the config's opening comments and version.
func writeHeader(b *strings.Builder, cat *catalog.Catalog, now time.Time) {
	fmt.Fprintf(b, `# pgtwin config for database %q, written by pgtwin init on %s.
# Every key is described in docs/config.md; schema/pgtwin.schema.json lets editors complete it.
# Check what it selects with: pgtwin plan --config <this file>
version: 1

# Where the connection strings come from (these are the defaults).
# source:
#   url_env: PROD_DATABASE_URL
# target:
#   url_env: DEV_DATABASE_URL

# Schemas to twin (default: every user schema: %s).
# schemas:
#   exclude: [audit]

# Roots pick the rows the twin starts from. Rows that reference a root row come
# along (down: a user brings their orders and order items), and every row that a
# selected row references comes too (up), through cycles and self-references.
# Select with where, order_by + limit, percent (repeatable sample), or all: true.
`, cat.Database, now.Format("2006-01-02"), strings.Join(cat.Schemas, ", "))
}

// writeRules writes the suggested roots and table rules, and the other
// rules as comments.
func writeRules(b *strings.Builder, roots, lookups, personalLookups []*catalog.Table, exact map[catalog.Name]bool) {
	if len(roots) == 0 {
		b.WriteString("roots: []\n")
	} else {
		b.WriteString("roots:\n")
	}
	for _, t := range roots {
		fmt.Fprintf(b, "  - table: %s  # %s\n", yamlName(t.Name), rowsText(t, exact))
		if len(t.PrimaryKey) > 0 {
			fmt.Fprintf(b, "    order_by: %s\n", yamlScalar(strings.Join(quoteCols(t.PrimaryKey), " DESC, ")+" DESC"))
		}
		b.WriteString("    limit: 100\n")
	}
	b.WriteString(`
# Table rules: copy a (small lookup) table whole, or only its definition.
`)
	if len(lookups) == 0 {
		b.WriteString("tables: []\n")
	} else {
		b.WriteString("tables:\n")
	}
	for _, t := range lookups {
		fmt.Fprintf(b, "  - table: %s  # %s\n    copy: all\n", yamlName(t.Name), rowsText(t, exact))
	}
	for _, t := range personalLookups {
		fmt.Fprintf(b, "  # %s (%s) is small but holds personal data: not copied whole\n", t.Name.Display(), rowsText(t, exact))
	}
	b.WriteString(`  # - table: public.audit_log
  #   copy: schema

# Foreign-key rules: stop following a key down to children, filter the children
# followed, or cut a nullable key (set to NULL when its parent is not selected).
# foreign_keys:
#   - table: public.users
#     columns: [referred_by]
#     follow_children: false
#   - table: public.reviews
#     columns: [user_id]
#     children_where: rating >= 4
#   - table: public.orders
#     columns: [coupon_id]
#     cut: true

# Relationships the schema does not declare, followed like real foreign keys.
# virtual_foreign_keys:
#   - table: public.events
#     columns: [user_id]
#     references: public.users

`)
}

// writeTables lists the source's tables as comments.
func writeTables(b *strings.Builder, cat *catalog.Catalog, g *graph.Graph, exact map[catalog.Name]bool) {
	b.WriteString(`
# The tables of the source (estimated rows; foreign keys):
`)
	for _, t := range cat.Tables {
		fmt.Fprintf(b, "#   %s  %s", t.Name.Display(), rowsText(t, exact))
		var refs []string
		for _, fk := range g.Up[t.Name] {
			refs = append(refs, fk.Parent.Display())
		}
		if len(refs) > 0 {
			fmt.Fprintf(b, "; references %s", strings.Join(refs, ", "))
		}
		b.WriteString("\n")
	}
}

// maskingSection writes the masking section of a starter config: a rule
// for every finding, with its reason as a comment, and unlisted: refuse, so
// that a personal-looking column added later stops the run.
func maskingSection(found []pii.Finding) string {
	var b strings.Builder
	b.WriteString(`# Masking: the columns below look personal; their values are replaced, on the
# way into the twin, by values derived from them and a secret key (the same key
# gives the same values in every run, so foreign keys and joins still match).
# Make a key once and keep it secret, like a password:
#   export PGTWIN_MASK_KEY=$(openssl rand -hex 32)
# Review every rule: change its mask, or write mask: keep for a column you
# reviewed that is not personal. With unlisted: refuse, a column that looks
# personal and has no rule (one added to the source later, say) stops the run.
masking:
  key_env: PGTWIN_MASK_KEY      # env var holding the secret key (this is the default)
  unlisted: refuse              # refuse | warn: columns that look personal and have no rule
`)
	if len(found) == 0 {
		b.WriteString("  columns: []                  # nothing looked personal\n")
		return b.String()
	}
	b.WriteString("  columns:\n")
	for _, f := range found {
		table, column := yamlName(f.Table), yamlScalar(catalog.QuoteIfNeeded(f.Column))
		if f.Suggest == "" {
			// No built-in mask fits: leave the rule to a person (the run
			// refuses until there is one).
			fmt.Fprintf(&b, "    # %s.%s: %s; no built-in mask fits it: write a rule (sql, template, value) or mask: keep\n",
				f.Table.Display(), catalog.QuoteIfNeeded(f.Column), oneLine(f.Reason()))
			fmt.Fprintf(&b, "    # - table: %s\n    #   column: %s\n    #   mask: sql\n", table, column)
			continue
		}
		fmt.Fprintf(&b, "    - table: %s\n      column: %s\n", table, column)
		line := "      mask: " + f.Suggest
		if f.Value != "" {
			b.WriteString(line + "\n")
			line = "      value: " + yamlQuoted(f.Value)
		}
		fmt.Fprintf(&b, "%-31s # %s\n", line, oneLine(f.Reason()))
	}
	return b.String()
}

// oneLine keeps a comment on its line.
func oneLine(s string) string { return strings.NewReplacer("\n", " ", "\r", " ").Replace(s) }

// yamlQuoted single-quotes s for YAML.
func yamlQuoted(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// yamlName writes a table name as a YAML scalar the config reads back.
func yamlName(n catalog.Name) string { return yamlScalar(n.Display()) }

// yamlScalar single-quotes s when YAML would not read it back verbatim.
func yamlScalar(s string) string {
	if strings.ContainsAny(s, "\"'#:{}[],&*!|>%@`") {
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return s
}

func quoteCols(cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = catalog.QuoteIfNeeded(c)
	}
	return out
}

// rowsText says how many rows t has: counted (exact), estimated, or not
// known because the table was never analyzed.
func rowsText(t *catalog.Table, exact map[catalog.Name]bool) string {
	switch {
	case exact[t.Name]:
		return fmt.Sprintf("%d rows", t.EstimatedRows)
	case t.EstimatedRows < 0:
		return "never analyzed"
	}
	return "~" + count(t.EstimatedRows) + " rows"
}

func count(n int64) string {
	if n < 0 {
		return "?"
	}
	return fmt.Sprint(n)
}
