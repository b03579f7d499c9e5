package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/verify"
)

type verifyCmd struct {
	env        Env
	configPath string
	target     string
	source     string
	sourceSet  bool
	json       bool
}

func newVerify(env Env) *cobra.Command {
	c := &verifyCmd{env: env}
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check an existing twin: foreign keys, sequences, the pgtwin marker, and masking against the source (read-only)",
		Long: `verify checks a twin on its own, in one read-only transaction:

  - every foreign key holds: no row lacks its parent, NOT VALID constraints
    included (PostgreSQL does not check their existing rows);
  - every sequence owned by a column (serial, identity) is ahead of the data,
    so new inserts do not collide;
  - the pgtwin marker (pgtwin.runs) is present.

With --source it also opens the source (read-only) and checks that no masked
column the marker lists holds its source row's value, matching rows by
primary key. It prints counts per column, and the primary keys of a few rows
that hold a source value, never a value. Tables without a primary key, or
whose primary key is masked, are listed as not checked. Without --source the
masking check does not run (the report says so); --source= (empty) takes
the source from the config's source.url_env or $` + DefaultSourceEnv + `.

It exits 0 when everything holds and 1, listing what does not, otherwise.`,
		Example: `  DEV_DATABASE_URL=postgres://app@dev.example.com/shop pgtwin verify

  # and no masked column holds a production value
  pgtwin verify --target "$DEV_DATABASE_URL" --source "$PROD_DATABASE_URL"

  # machine-readable
  pgtwin verify --target "$DEV_DATABASE_URL" --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c.sourceSet = cmd.Flags().Changed("source")
			return c.run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.target, "target", "", "twin database URL or keyword/value string (default $"+DefaultTargetEnv+")")
	f.StringVar(&c.source, "source", "", "source database URL or keyword/value string: check the masked columns against it (empty: the config's source.url_env or $"+DefaultSourceEnv+")")
	f.StringVarP(&c.configPath, "config", "c", "", "config file, for target.url_env and source.url_env only (optional)")
	f.BoolVar(&c.json, "json", false, "print the report as JSON")
	return cmd
}

// verifyReport is the JSON form of a verify run.
type verifyReport struct {
	ReportVersion int    `json:"report_version"`
	Target        string `json:"target"`
	OK            bool   `json:"ok"`
	*verify.Report
}

// errNotTwin is the failure of a database without the pgtwin marker.
var errNotTwin = errors.New("not a pgtwin twin: no pgtwin.runs marker")

func (c *verifyCmd) run(ctx context.Context) error {
	cfg, err := loadConfig(c.configPath)
	if err != nil {
		return err
	}
	ep, err := c.env.endpoint(cfg, "target", c.target)
	if err != nil {
		return err
	}
	conn, err := ep.Connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	target := ep.Describe()
	var opts verify.Options
	if c.sourceSet {
		src, name, err := c.connectSource(ctx, cfg, target)
		if err != nil {
			return err
		}
		defer src.Close(context.WithoutCancel(ctx))
		opts = verify.Options{Source: src, SourceName: name}
	}
	rep, err := verify.RunWith(ctx, conn, opts)
	if errors.Is(err, verify.ErrSourceIsTwin) {
		return usagef("--source %s: %v; pass the database the twin was made from", opts.SourceName, err)
	}
	if err != nil {
		return fmt.Errorf("verify %s: %w", target, err)
	}
	if c.json {
		enc := json.NewEncoder(c.env.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		err = enc.Encode(verifyReport{ReportVersion: 1, Target: target, OK: rep.OK(), Report: rep})
	} else {
		err = writeVerifyReport(c.env.Stdout, target, rep)
	}
	if err != nil {
		return err
	}
	return verifyFailure(rep)
}

// verifyFailure is the error (exit 1) of a report that does not hold, nil
// for one that does.
func verifyFailure(rep *verify.Report) error {
	var problems []string
	if rep.Marker == nil {
		problems = append(problems, errNotTwin.Error())
	}
	if n := len(rep.ForeignKeys.Failures); n > 0 {
		problems = append(problems, plural(n, "foreign key", "foreign keys")+" violated")
	}
	if n := len(rep.Sequences.Failures); n > 0 {
		problems = append(problems, plural(n, "sequence", "sequences")+" behind the data")
	}
	if n := len(rep.Masking.Leaks()); n > 0 {
		problems = append(problems, plural(n, "masked column holds", "masked columns hold")+" source values")
	}
	switch {
	case len(problems) == 0:
		return nil
	case rep.Marker == nil && len(problems) == 1:
		return errNotTwin
	}
	return fmt.Errorf("the twin does not hold: %s", strings.Join(problems, "; "))
}

func plural[N int | int64](n N, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// writeVerifyReport prints one line per check group and, under a failed
// group, the list of what fails.
func writeVerifyReport(w io.Writer, target string, rep *verify.Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Verify %s\n", target)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	status := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "FAIL"
	}

	if m := rep.Marker; m != nil {
		fmt.Fprintf(tw, "marker\tok\ttwin of %s made %s, snapshot %s, config sha256 %s, %s\n",
			m.Source, m.CreatedAt.UTC().Format(time.RFC3339), m.SnapshotAt.UTC().Format(time.RFC3339),
			m.ConfigHash, plural(m.TotalRows, "row", "rows"))
	} else {
		fmt.Fprintf(tw, "marker\tFAIL\t%s\n", errNotTwin)
	}

	fks := rep.ForeignKeys
	line := plural(fks.Checked, "foreign key", "foreign keys") + " checked"
	if n := len(fks.Failures); n > 0 {
		line = fmt.Sprintf("%d of %s violated", n, plural(fks.Checked, "foreign key", "foreign keys"))
	}
	if fks.NotValid > 0 {
		line += fmt.Sprintf(" (%d NOT VALID)", fks.NotValid)
	}
	fmt.Fprintf(tw, "foreign keys\t%s\t%s\n", status(len(fks.Failures) == 0), line)

	seqs := rep.Sequences
	line = plural(seqs.Checked, "sequence", "sequences") + " checked"
	if n := len(seqs.Failures); n > 0 {
		line = fmt.Sprintf("%d of %s behind the data", n, plural(seqs.Checked, "sequence", "sequences"))
	}
	fmt.Fprintf(tw, "sequences\t%s\t%s\n", status(len(seqs.Failures) == 0), line)
	writeMaskingLine(tw, rep)
	tw.Flush()

	if len(fks.Failures) > 0 {
		fmt.Fprintf(&b, "\nForeign keys violated\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  constraint\ttable\treferences\torphan rows\texample keys")
		for _, o := range fks.Failures {
			name := catalog.QuoteIfNeeded(o.Constraint)
			var notes []string
			if o.NotValid {
				notes = append(notes, "NOT VALID")
			}
			if o.Match == catalog.MatchFull {
				notes = append(notes, "MATCH FULL")
			}
			if len(notes) > 0 {
				name += " (" + strings.Join(notes, ", ") + ")"
			}
			fmt.Fprintf(tw, "  %s\t%s(%s)\t%s(%s)\t%d\t%s\n", name,
				o.Table.Display(), columnList(o.Columns), o.References.Display(), columnList(o.ReferencedColumns),
				o.Rows, exampleKeys(o.Examples, o.Keys))
		}
		tw.Flush()
	}

	if len(seqs.Failures) > 0 {
		fmt.Fprintf(&b, "\nSequences behind the data\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  sequence\tcolumn\tdata\tlast value\tfix")
		for _, s := range seqs.Failures {
			agg := "max"
			if s.Increment < 0 {
				agg = "min"
			}
			last := fmt.Sprint(s.LastValue)
			if !s.IsCalled {
				last += " (not called)"
			}
			fmt.Fprintf(tw, "  %s\t%s.%s\t%s = %s\t%s\t%s\n", s.Sequence.Display(), s.Table.Display(), catalog.QuoteIfNeeded(s.Column),
				agg, s.DataMax, last, s.Fix)
		}
		tw.Flush()
	}

	writeMaskingDetails(&b, &rep.Masking)

	if rep.OK() {
		fmt.Fprintf(&b, "\nOK: the twin holds together.\n")
	} else {
		fmt.Fprintf(&b, "\nFAILED\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func columnList(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = catalog.QuoteIfNeeded(c)
	}
	return strings.Join(q, ", ")
}

// exampleKeys lists example keys, with "…" when there are more of them
// (total) than examples.
func exampleKeys(keys []verify.Key, total int64) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.String()
	}
	s := strings.Join(parts, ", ")
	if int64(len(keys)) < total {
		s += ", …"
	}
	return s
}
