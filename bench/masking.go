package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// benchMaskKey is the masking key of every measured run (as a secret holds
// it); runs without masks ignore it.
const benchMaskKey = "4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a"

// maskingYAML is the 10% sample of (d) with five personal columns of the
// largest tables masked: an email, a name, a street, a postal code and a
// timestamp of every order.
const maskingYAML = `version: 1
roots:
  - table: users
    percent: 10
tables:
  - table: categories
    copy: all
masking:
  unlisted: warn
  columns:
    - {table: users, column: email, mask: email}
    - {table: users, column: full_name, mask: name}
    - {table: addresses, column: line1, mask: text}
    - {table: addresses, column: postal_code, mask: digits}
    - {table: orders, column: created_at, mask: timestamp}
`

// maskingFigure is (i): the same twin masked and unmasked, alternating
// which goes first.
type maskingFigure struct {
	plain, masked []result
}

func (b *bench) maskingFigure(ctx context.Context, o options, large *shop) (*maskingFigure, error) {
	plainCfg, maskedCfg := filepath.Join(b.dir, "unmasked.yaml"), filepath.Join(b.dir, "masked.yaml")
	plainYAML, _, _ := strings.Cut(maskingYAML, "masking:")
	for path, text := range map[string]string{plainCfg: plainYAML, maskedCfg: maskingYAML} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return nil, err
		}
	}
	f := &maskingFigure{}
	for i := 0; i < o.runs; i++ {
		for k := 0; k < 2; k++ {
			masked := (i+k)%2 == 0
			cfg := plainCfg
			if masked {
				cfg = maskedCfg
			}
			r, err := b.clone(ctx, cfg, large)
			if err != nil {
				return nil, fmt.Errorf("masked/unmasked sample of %s: %w", large.name, err)
			}
			logf("sample of %s, masked %v, run %d: %.1fs, %d rows, %d values masked, %s peak RSS",
				large.name, masked, i+1, r.wall.Seconds(), r.report.Rows, r.report.maskedValues(), kib(r.maxRSS))
			if masked {
				f.masked = append(f.masked, r)
			} else {
				f.plain = append(f.plain, r)
			}
		}
	}
	return f, nil
}

func (f *maskingFigure) report(w io.Writer, large *shop) {
	mm, mp := median(walls(f.masked)), median(walls(f.plain))
	ratio := mm.Seconds() / mp.Seconds()
	peak := peakRSS(f.masked)
	rows := f.masked[0].report.Rows
	fmt.Fprintf(w, "\nMasking (the 10%% sample of users on %s, five personal columns masked, %s values):\n\n", large.name, num(f.masked[0].report.maskedValues()))
	fmt.Fprintln(w, "| figure | measured | goal | met |")
	fmt.Fprintln(w, "|---|---:|---:|:---:|")
	fmt.Fprintf(w, "| (i) masked / unmasked twin, wall | %s / %s = **%.2f** | ≤ 1.25 | %s |\n", secs(mm, walls(f.masked)), secs(mp, walls(f.plain)), ratio, yes(ratio <= 1.25))
	goal := 100_000_000 + 32*rows
	fmt.Fprintf(w, "| (i) peak memory, masked, %s rows | %s | ≤ %s | %s |\n", num(rows), kib(peak), mb(goal), yes(peak*1024 <= goal))
}
