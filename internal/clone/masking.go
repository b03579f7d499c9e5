package clone

import (
	"github.com/pgtwin/pgtwin/internal/guard"
	"github.com/pgtwin/pgtwin/internal/load"
	"github.com/pgtwin/pgtwin/internal/mask"
	"github.com/pgtwin/pgtwin/internal/plan"
)

// maskKey reads the masking key when the plan masks any column; ok is
// false when it masks none. A missing or short key refuses the run.
func maskKey(res *plan.Resolved, p *plan.Plan, getenv func(string) string) (k mask.Key, ok bool, err error) {
	needed := false
	for _, m := range p.Masks {
		needed = needed || !m.Keep() && m.Spec.Mask != mask.SQL
	}
	if !needed || res.Masking == nil {
		return k, false, nil
	}
	k, err = mask.ParseKey(res.Masking.KeyEnv, getenv(res.Masking.KeyEnv))
	if err != nil {
		return k, false, &guard.Refused{Reason: err.Error(), Doc: "masking"}
	}
	return k, true, nil
}

// maskedColumns lists the masked columns for the marker.
func maskedColumns(p *plan.Plan) []load.MaskedColumn {
	var out []load.MaskedColumn
	for _, m := range p.Masks {
		if !m.Keep() {
			out = append(out, load.MaskedColumn{Table: m.Name, Column: m.Column, Mask: m.Mask})
		}
	}
	return out
}
