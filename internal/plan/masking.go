package plan

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/mask"
)

// MaskedColumn is a column the twin masks (or keeps, once reviewed), and
// where its rule comes from.
type MaskedColumn struct {
	Name   catalog.Name `json:"-"`
	Table  string       `json:"table"`
	Column string       `json:"column"`
	// Mask is the mask's name; "json paths" for a json/jsonb column masked
	// by paths.
	Mask string `json:"mask"`
	// Rule is where the rule is written: "twin.yaml:12: masking.columns[0]".
	Rule string `json:"rule"`
	// LinkedTo and Via say, for a column without a rule of its own, the
	// masked column it is linked to and the foreign key linking them.
	LinkedTo string `json:"linked_to,omitempty"`
	Via      string `json:"via,omitempty"`
	// Unique is set when the mask must be one-to-one.
	Unique bool `json:"unique,omitempty"`

	// Spec is the rule for the mask package; SQL the expression of a sql
	// mask; Column the column as the mask package sees it.
	Spec   mask.Rule   `json:"-"`
	SQL    string      `json:"-"`
	Target mask.Column `json:"-"`
}

// Keep reports whether the column is copied as it is (mask: keep).
func (m *MaskedColumn) Keep() bool { return m.Spec.Mask == mask.Keep }

// colRef is a column of a table.
type colRef struct {
	table  catalog.Name
	column string
}

func (c colRef) String() string { return c.table.Display() + "." + catalog.QuoteIfNeeded(c.column) }

// link is one pair of columns a foreign key joins.
type link struct {
	to colRef
	fk *catalog.ForeignKey
}

// planMasking spreads the config's masking rules over the columns linked
// to them by foreign keys, and checks that each mask fits its column.
func (p *Plan) planMasking(cat *catalog.Catalog, res *Resolved, fks []*catalog.ForeignKey) {
	p.Masks = []*MaskedColumn{}
	if res.Masking == nil {
		return
	}
	owner, masked, order := p.claimColumns(res, fks)
	groupOf := func(c colRef) []colRef {
		var g []colRef
		for _, o := range order {
			if owner[o] == owner[c] {
				g = append(g, o)
			}
		}
		return g
	}
	misfit := map[*ResolvedMask]bool{}
	for _, c := range order {
		r, m := owner[c], masked[c]
		t := cat.Table(c.table)
		col := t.Column(c.column)
		group := groupOf(c)
		m.Name, m.Table, m.Column = c.table, c.table.Display(), c.column
		m.Spec, m.SQL = r.Rule, r.SQL
		m.Mask = r.Rule.Mask
		if len(r.Rule.Paths) > 0 {
			m.Mask = "json paths"
		}
		m.Target = mask.Column{Table: c.table.Display(), Name: c.column, Type: maskType(col), NotNull: col.NotNull}
		for _, g := range group {
			m.Target.Unique = m.Target.Unique || isUnique(cat.Table(g.table), g.column)
			if g != c && m.Target.Type.Kind == mask.IntType {
				narrowInt(&m.Target.Type, maskType(cat.Table(g.table).Column(g.column)))
			}
		}
		m.Unique = m.Target.Unique
		p.Masks = append(p.Masks, m)
		if len(group) > 1 && (r.Rule.Mask == mask.SQL || r.Rule.Mask == mask.Template) && c == group[0] {
			p.Problems = append(p.Problems, fmt.Sprintf("%s: a %s mask cannot mask %s: it is linked by foreign keys to %s, and only a mask of the value alone keeps them matching; use %s",
				r.Where(res.File), r.Rule.Mask, c, joinRefs(group[1:]), suggestInjective(m.Target.Type)))
			continue
		}
		if r.Rule.Mask == mask.SQL {
			if slices.Contains(t.PrimaryKey, c.column) {
				p.Problems = append(p.Problems, fmt.Sprintf("%s: a sql mask cannot mask %s, part of the primary key of %s: pgtwin tells rows apart by it; use %s",
					r.Where(res.File), c, c.table.Display(), suggestInjective(m.Target.Type)))
			}
			continue
		}
		if _, err := mask.Compile(mask.Key{}, r.Rule, m.Target); err != nil {
			// Linked columns share the rule: one misfit says it for all.
			if !misfit[r] {
				p.Problems = append(p.Problems, fmt.Sprintf("%s: %v", r.Where(res.File), err))
			}
			misfit[r] = true
			continue
		}
		for _, u := range config.TemplateColumns(r.Rule.Template) {
			if uc := (colRef{c.table, u}); owner[uc] != nil && owner[uc].Rule.Mask == mask.Template {
				p.Problems = append(p.Problems, fmt.Sprintf("%s: the template of %s names %s, which is masked by a template too; a template may name only columns that are not templates", r.Where(res.File), c, uc))
			}
		}
	}
	slices.SortStableFunc(p.Masks, func(a, b *MaskedColumn) int {
		if a.Name != b.Name {
			if a.Name.Less(b.Name) {
				return -1
			}
			return 1
		}
		return columnNum(cat, a) - columnNum(cat, b)
	})
}

// claimColumns gives each rule its column and, breadth first, every column
// linked to it by a foreign key; a column claimed by two different rules
// is a problem. order lists the claimed columns as they were reached.
func (p *Plan) claimColumns(res *Resolved, fks []*catalog.ForeignKey) (owner map[colRef]*ResolvedMask, masked map[colRef]*MaskedColumn, order []colRef) {
	links := map[colRef][]link{}
	for _, fk := range fks {
		if !res.Included(fk.Child) || !res.Included(fk.Parent) {
			continue
		}
		for i := range fk.ChildColumns {
			c, pc := colRef{fk.Child, fk.ChildColumns[i]}, colRef{fk.Parent, fk.ParentColumns[i]}
			links[c] = append(links[c], link{pc, fk})
			links[pc] = append(links[pc], link{c, fk})
		}
	}
	owner = map[colRef]*ResolvedMask{}
	masked = map[colRef]*MaskedColumn{}
	for i := range res.Masking.Rules {
		r := &res.Masking.Rules[i]
		start := colRef{r.Table, r.Column}
		queue := []colRef{start}
		if o := owner[start]; o != nil {
			if !sameRule(o, r) {
				p.Problems = append(p.Problems, fmt.Sprintf("%s: %s is masked by %s (%s) and, through foreign keys, by %s (%s); linked columns must share one rule",
					r.Where(res.File), start, describeRule(r), r.Entry, describeRule(o), o.Where(res.File)))
			}
			continue
		}
		owner[start] = r
		masked[start] = &MaskedColumn{Rule: r.Where(res.File)}
		order = append(order, start)
		for len(queue) > 0 {
			c := queue[0]
			queue = queue[1:]
			for _, l := range links[c] {
				if o := owner[l.to]; o != nil {
					if o != r && !sameRule(o, r) {
						p.Problems = append(p.Problems, fmt.Sprintf("%s: %s is masked by %s, but %s, linked to it by %s, is masked by %s (%s); linked columns must share one rule",
							r.Where(res.File), c, describeRule(r), l.to, l.fk.Name, describeRule(o), o.Where(res.File)))
					}
					continue
				}
				owner[l.to] = r
				masked[l.to] = &MaskedColumn{Rule: r.Where(res.File), LinkedTo: c.String(), Via: l.fk.Name}
				order = append(order, l.to)
				queue = append(queue, l.to)
			}
		}
	}
	return owner, masked, order
}

func columnNum(cat *catalog.Catalog, m *MaskedColumn) int {
	return int(cat.Table(m.Name).Column(m.Column).Num)
}

func sameRule(a, b *ResolvedMask) bool {
	return reflect.DeepEqual(a.Rule, b.Rule) && a.SQL == b.SQL
}

func describeRule(r *ResolvedMask) string {
	if len(r.Rule.Paths) > 0 {
		return "json paths"
	}
	return r.Rule.Mask
}

func joinRefs(cs []colRef) string {
	var s []string
	for _, c := range cs {
		s = append(s, c.String())
	}
	return strings.Join(s, ", ")
}

// suggestInjective names a one-to-one mask for a type.
func suggestInjective(t mask.Type) string {
	switch t.Kind {
	case mask.IntType:
		return "int"
	case mask.NumericType:
		return "numeric"
	case mask.UUIDType:
		return "uuid"
	case mask.DateType:
		return "date"
	case mask.TimestampType, mask.TimestampTZType:
		return "timestamp"
	}
	return "text or digits"
}

// isUnique reports whether a column is part of the primary key or a unique
// key or index of its table.
func isUnique(t *catalog.Table, column string) bool {
	if slices.Contains(t.PrimaryKey, column) {
		return true
	}
	for _, k := range t.UniqueKeys {
		if slices.Contains(k, column) {
			return true
		}
	}
	c := t.Column(column)
	return c != nil && c.Unique
}

// narrowInt keeps in t only the integers other can hold too, so that
// linked columns of different integer types mask alike.
func narrowInt(t *mask.Type, other mask.Type) {
	if other.Kind != mask.IntType {
		return
	}
	t.IntMin = max(t.IntMin, other.IntMin)
	t.IntMax = min(t.IntMax, other.IntMax)
}

var (
	lengthRE  = regexp.MustCompile(`^(character varying|character|varchar|char|bpchar|bit varying|bit)\((\d+)\)$`)
	numericRE = regexp.MustCompile(`^numeric\((\d+)(?:,(\d+))?\)$`)
)

// maskType describes a column's storage type for the mask package, from
// format_type() text: the base type of a domain, the element of an array.
func maskType(c *catalog.Column) mask.Type {
	name := c.Base
	array := c.Array
	if name == "" {
		name = c.Type
		array = strings.HasSuffix(name, "[]")
	}
	name = strings.TrimSuffix(name, "[]")
	t := mask.Type{Name: name, Array: array}
	bare := name
	if i := strings.LastIndex(bare, "."); i >= 0 && !strings.Contains(bare, "(") {
		bare = bare[i+1:] // a type in another schema, such as public.citext
	}
	switch {
	case bare == "text" || bare == "character varying" || bare == "varchar" || bare == "citext" || bare == `"char"` || bare == "name":
		t.Kind = mask.StringType
	case bare == "character" || bare == "bpchar":
		t.Kind, t.MaxLen, t.Fixed = mask.StringType, 1, true
	case lengthRE.MatchString(bare):
		m := lengthRE.FindStringSubmatch(bare)
		if strings.HasPrefix(m[1], "bit") {
			break
		}
		t.Kind = mask.StringType
		t.MaxLen, _ = strconv.Atoi(m[2])
		t.Fixed = m[1] == "character" || m[1] == "char" || m[1] == "bpchar"
	case bare == "smallint":
		t.Kind, t.IntMin, t.IntMax = mask.IntType, math.MinInt16, math.MaxInt16
	case bare == "integer":
		t.Kind, t.IntMin, t.IntMax = mask.IntType, math.MinInt32, math.MaxInt32
	case bare == "bigint":
		t.Kind, t.IntMin, t.IntMax = mask.IntType, math.MinInt64, math.MaxInt64
	case bare == "numeric" || bare == "real" || bare == "double precision":
		t.Kind = mask.NumericType
	case numericRE.MatchString(bare):
		m := numericRE.FindStringSubmatch(bare)
		t.Kind = mask.NumericType
		t.Precision, _ = strconv.Atoi(m[1])
		t.Scale, _ = strconv.Atoi(m[2])
	case bare == "date":
		t.Kind = mask.DateType
	case strings.HasPrefix(bare, "timestamp") && strings.HasSuffix(bare, "with time zone") && !strings.HasSuffix(bare, "without time zone"):
		t.Kind = mask.TimestampTZType
	case strings.HasPrefix(bare, "timestamp"):
		t.Kind = mask.TimestampType
	case bare == "uuid":
		t.Kind = mask.UUIDType
	case bare == "json":
		t.Kind = mask.JSONType
	case bare == "jsonb":
		t.Kind = mask.JSONBType
	}
	return t
}

// PersonalColumn is a column that looks like it holds personal data.
type PersonalColumn struct {
	Table   string   `json:"table"`
	Column  string   `json:"column"`
	Reasons []string `json:"reasons"`
	// Suggest is a mask that fits the column.
	Suggest string `json:"suggested_mask,omitempty"`
	// Rule is set when a masking rule covers the column (or keeps it).
	Rule bool `json:"has_rule"`
}

// CheckPersonal records the columns that look personal and what the
// config does about them: without a masking section they are copied as
// they are (a warning); with one, a column without a rule refuses the run
// (unlisted: refuse, a problem) or is a warning (unlisted: warn).
func (p *Plan) CheckPersonal(found []PersonalColumn, res *Resolved) {
	covered := map[[2]string]bool{}
	for _, m := range p.Masks {
		covered[[2]string{m.Table, m.Column}] = true
	}
	p.Personal = []PersonalColumn{}
	var open, names []string
	for _, f := range found {
		f.Rule = covered[[2]string{f.Table, f.Column}]
		p.Personal = append(p.Personal, f)
		if !f.Rule {
			name := f.Table + "." + catalog.QuoteIfNeeded(f.Column)
			names = append(names, name)
			open = append(open, fmt.Sprintf("%s (%s)", name, strings.Join(f.Reasons, "; ")))
		}
	}
	switch {
	case len(open) == 0:
	case res.Masking == nil:
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s personal data and will be copied as %s: %s; add a masking section (pgtwin init writes one; pgtwin plan says why each was flagged)",
			plural(len(open), "column looks like", "columns look like"), pick(len(open) == 1, "it is", "they are"), strings.Join(names, ", ")))
	case res.Masking.Unlisted == config.UnlistedWarn:
		for _, o := range open {
			p.Warnings = append(p.Warnings, "looks personal, has no masking rule and is copied as it is (unlisted: warn): "+o)
		}
	default:
		for _, o := range open {
			p.Problems = append(p.Problems, "looks personal and has no masking rule: "+o+"; mask it, or mark it reviewed with mask: keep")
		}
	}
}

func pick(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

// writeMasks writes the masked and the personal-looking columns.
func (p *Plan) writeMasks(b *strings.Builder) {
	if len(p.Masks) > 0 {
		fmt.Fprintf(b, "\nMasked columns (%d)\n", len(p.Masks))
		tw := tabwriter.NewWriter(b, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "  column\tmask\trule")
		for _, m := range p.Masks {
			mk := m.Mask
			if m.Unique && !m.Keep() {
				mk += " (one-to-one)"
			}
			rule := m.Rule
			if m.LinkedTo != "" {
				rule = fmt.Sprintf("linked to %s by %s: %s", m.LinkedTo, m.Via, m.Rule)
			}
			fmt.Fprintf(tw, "  %s.%s\t%s\t%s\n", m.Table, catalog.QuoteIfNeeded(m.Column), mk, rule)
		}
		tw.Flush()
	}
	var open []PersonalColumn
	for _, f := range p.Personal {
		if !f.Rule {
			open = append(open, f)
		}
	}
	if len(open) > 0 {
		fmt.Fprintf(b, "\nColumns that look personal and have no masking rule (%d)\n", len(open))
		tw := tabwriter.NewWriter(b, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "  column\tsuggested mask\twhy")
		for _, f := range open {
			fmt.Fprintf(tw, "  %s.%s\t%s\t%s\n", f.Table, catalog.QuoteIfNeeded(f.Column), f.Suggest, strings.Join(f.Reasons, "; "))
		}
		tw.Flush()
	}
}
