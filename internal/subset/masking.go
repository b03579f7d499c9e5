package subset

import (
	"fmt"
	"slices"

	"github.com/pgtwin/pgtwin/internal/copytext"
	"github.com/pgtwin/pgtwin/internal/mask"
	"github.com/pgtwin/pgtwin/internal/plan"
)

// rowMasker masks the columns of one table's rows on their way from the
// source's COPY to the target's: the fields of a masked column are
// decoded, masked and encoded again; the other fields pass as they are.
// Template masks run last, so that they see the row's other masked values.
type rowMasker struct {
	cols    []string
	idx     []int // the copied column of each masker
	maskers []*mask.Masker
	names   []string // table.column of each masker, for messages
	counts  []int64  // non-NULL values masked, per masker

	// Per row: the fields being masked, and each masked column's value.
	fields  [][]byte
	done    []bool
	vals    [][]byte
	nulls   []bool
	scratch []byte
}

// newRowMasker compiles the masks of a table's columns; nil when none of
// its copied columns is masked in the stream (keep and sql masks are not).
func newRowMasker(k mask.Key, cols []string, masks []*plan.MaskedColumn) (*rowMasker, error) {
	rm := &rowMasker{cols: cols, done: make([]bool, len(cols)), vals: make([][]byte, len(cols)), nulls: make([]bool, len(cols))}
	ordered := slices.Clone(masks)
	slices.SortStableFunc(ordered, func(a, b *plan.MaskedColumn) int {
		return boolInt(a.Spec.Mask == mask.Template) - boolInt(b.Spec.Mask == mask.Template)
	})
	for _, m := range ordered {
		if m.Keep() || m.Spec.Mask == mask.SQL {
			continue
		}
		i := slices.Index(cols, m.Column)
		if i < 0 {
			continue // a generated column: the target computes it
		}
		mk, err := mask.Compile(k, m.Spec, m.Target)
		if err != nil {
			return nil, err
		}
		rm.idx = append(rm.idx, i)
		rm.maskers = append(rm.maskers, mk)
		rm.names = append(rm.names, m.Table+"."+m.Column)
	}
	if len(rm.maskers) == 0 {
		return nil, nil
	}
	rm.counts = make([]int64, len(rm.maskers))
	return rm, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Value gives a template the row's value of a column as the twin holds
// it: masked when the column is masked (and masked before the template),
// else the source's.
func (rm *rowMasker) Value(column string) ([]byte, bool) {
	i := slices.Index(rm.cols, column)
	if i < 0 {
		return nil, true
	}
	if rm.done[i] {
		return rm.vals[i], rm.nulls[i]
	}
	f := rm.fields[i]
	if copytext.IsNull(f) {
		return nil, true
	}
	return copytext.AppendDecode(nil, f), false
}

// apply appends the masked row (the fields of the copied columns, joined
// by tabs, and a newline) to out. Errors name the column, never a value.
func (rm *rowMasker) apply(out []byte, fields [][]byte) ([]byte, error) {
	rm.fields = fields
	clear(rm.done)
	for j, i := range rm.idx {
		f := fields[i]
		null := copytext.IsNull(f)
		var v []byte
		if !null {
			rm.scratch = copytext.AppendDecode(rm.scratch[:0], f)
			v = rm.scratch
		}
		res, isNull, err := rm.maskers[j].Mask(rm.vals[i][:0], v, null, rm)
		if err != nil {
			return out, fmt.Errorf("mask %s: %w", rm.names[j], err)
		}
		if !null {
			rm.counts[j]++
		}
		rm.vals[i], rm.nulls[i], rm.done[i] = res, isNull, true
	}
	for i := range rm.cols {
		if i > 0 {
			out = append(out, '\t')
		}
		switch {
		case !rm.done[i]:
			out = append(out, fields[i]...)
		case rm.nulls[i]:
			out = append(out, copytext.Null...)
		default:
			out = copytext.Encode(out, rm.vals[i])
		}
	}
	return append(out, '\n'), nil
}

// sqlMasked returns the select-list item of a column masked by a sql mask:
// the expression, cast to the column's type.
func sqlMasked(expr, typ string) string {
	return "CAST(" + plan.Condition(expr) + " AS " + typ + ")"
}
