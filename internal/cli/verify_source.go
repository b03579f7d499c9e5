package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/human"
	"github.com/pgtwin/pgtwin/internal/verify"
)

// verify --source: the source the masked columns are compared with, and
// the masking part of the report.

// connectSource opens the source the masked columns are compared with:
// --source, or when it is empty, the config's source.url_env or
// $PROD_DATABASE_URL, as plan does. The same connection string as the
// twin's is refused.
func (c *verifyCmd) connectSource(ctx context.Context, cfg *config.Config, target string) (*pgx.Conn, string, error) {
	ep, err := c.env.endpoint(cfg, "source", c.source)
	if err != nil {
		return nil, "", err
	}
	name := ep.Describe()
	if name == target {
		return nil, "", usagef("--source %s is the twin itself; pass the database the twin was made from", name)
	}
	conn, err := ep.Connect(ctx)
	if err != nil {
		return nil, "", err
	}
	return conn, name, nil
}

// writeMaskingLine writes the masking line of the summary.
func writeMaskingLine(w io.Writer, rep *verify.Report) {
	m := &rep.Masking
	switch {
	case rep.Marker == nil:
		fmt.Fprintf(w, "masking\tskip\tnot checked: not a twin\n")
		return
	case m.Masked == 0:
		fmt.Fprintf(w, "masking\tok\tthe twin has no masked columns\n")
		return
	case !m.Checked:
		fmt.Fprintf(w, "masking\tskip\t%s not compared with the source (pass --source to check them)\n",
			plural(m.Masked, "masked column", "masked columns"))
		return
	}
	var checked, notChecked int
	var values, unchanged, unmasked int64
	for _, c := range m.Columns {
		if !c.Checked {
			notChecked++
			continue
		}
		checked++
		values += c.Rows
		unchanged += c.Unchanged
		unmasked += c.Unmasked
	}
	status, line := "ok", ""
	if leaks := m.Leaks(); len(leaks) > 0 {
		status = "FAIL"
		line = fmt.Sprintf("%d of %s hold source values: %s unmasked of %s",
			len(leaks), plural(checked, "masked column", "masked columns"), human.Count(unmasked), plural(values, "value", "values"))
	} else {
		line = fmt.Sprintf("%s checked against the source: %s, none unmasked",
			plural(checked, "masked column", "masked columns"), pluralCount(values, "value", "values"))
	}
	if unchanged > 0 {
		line += fmt.Sprintf(" (%s unchanged where the mask may keep a value)", human.Count(unchanged))
	}
	if notChecked > 0 {
		line += fmt.Sprintf("; %d not checked", notChecked)
	}
	fmt.Fprintf(w, "masking\t%s\t%s\n", status, line)
}

// pluralCount is plural with thousands separators.
func pluralCount(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return human.Count(n) + " " + many
}

// writeMaskingDetails lists the masked columns that hold source values,
// the ones not checked, and the check's warnings. No value is printed:
// counts and primary keys only.
func writeMaskingDetails(b *strings.Builder, m *verify.MaskingCheck) {
	if leaks := m.Leaks(); len(leaks) > 0 {
		fmt.Fprintf(b, "\nMasked columns holding source values (compared with %s)\n", m.Source)
		tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  column\tmask\trows\tmasked\tnull\tunchanged\tunmasked\texample keys")
		for _, c := range leaks {
			fmt.Fprintf(tw, "  %s.%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Table.Display(), catalog.QuoteIfNeeded(c.Column), c.Mask,
				human.Count(c.Rows), human.Count(c.Masked), human.Count(c.Null), human.Count(c.Unchanged), human.Count(c.Unmasked),
				exampleKeys(c.Examples, c.Unmasked))
		}
		tw.Flush()
	}
	var notChecked []verify.MaskedColumnCheck
	for _, c := range m.Columns {
		if !c.Checked {
			notChecked = append(notChecked, c)
		}
	}
	if len(notChecked) > 0 {
		fmt.Fprintf(b, "\nMasked columns not checked\n")
		tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
		for _, c := range notChecked {
			fmt.Fprintf(tw, "  %s.%s\t%s\t%s\n", c.Table.Display(), catalog.QuoteIfNeeded(c.Column), c.Mask, c.NotChecked)
		}
		tw.Flush()
	}
	for _, w := range m.Warnings {
		fmt.Fprintf(b, "\n! %s\n", w)
	}
}
