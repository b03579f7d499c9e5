package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pgtwin/pgtwin/internal/clone"
	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/human"
	"github.com/pgtwin/pgtwin/internal/observe"
	"github.com/pgtwin/pgtwin/internal/progress"
	"github.com/pgtwin/pgtwin/internal/twinfile"
)

type dumpCmd struct {
	cloneCmd
	output   string
	compress string
}

func newDump(env Env) *cobra.Command {
	c := &dumpCmd{cloneCmd: cloneCmd{env: env}}
	cmd := &cobra.Command{
		Use:   "dump",
		Short: "Write the twin clone would make to a twin file (a SQL script, zstd-compressed by default)",
		Long: `dump reads the source exactly as clone does — one snapshot, the config's subset,
masks and budgets — and writes the twin to one file instead of a target: a plain
SQL script with pg_dump's schema, the rows as COPY, sequences and the pgtwin
marker, compressed with zstd (or gzip, or not at all), with a manifest and a
checksum per table. Restore it with pgtwin restore (every guard and check of
clone), or with psql into an empty database.

The file is written next to --output under a temporary name and renamed when
complete: a failed dump leaves an existing file as it was. With --output -
the file goes to stdout and the report to stderr.`,
		Example: `  export PROD_DATABASE_URL='postgres://readonly@prod.example.com/shop?sslmode=require'
  pgtwin dump --config twin.yaml --output twin.sql.zst

  # later, anywhere, without production access or the masking key
  pgtwin restore --input twin.sql.zst --target postgres://app@localhost/shop_dev`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return c.run(cmd.Context()) },
	}
	f := cmd.Flags()
	c.sourceFlags(f)
	f.StringVarP(&c.output, "output", "o", "", "the twin file to write, or - for stdout (required)")
	f.StringVar(&c.compress, "compress", "", "zstd, gzip or none (default: from --output's ending, .sql for none, .gz for gzip; else zstd)")
	c.outputFlags(f)
	c.budgetFlags(f)
	f.IntVar(&c.jobs, "jobs", clone.DefaultJobs, "source sessions reading rows, sharing one snapshot")
	return cmd
}

// compression is --compress, or what --output's name says.
func (c *dumpCmd) compression() (twinfile.Compression, error) {
	if c.compress != "" {
		comp, err := twinfile.ParseCompression(c.compress)
		if err != nil {
			return "", usagef("--compress: %v", err)
		}
		return comp, nil
	}
	switch {
	case strings.HasSuffix(c.output, ".sql"):
		return twinfile.None, nil
	case strings.HasSuffix(c.output, ".gz"):
		return twinfile.Gzip, nil
	}
	return twinfile.Zstd, nil
}

func (c *dumpCmd) run(ctx context.Context) error {
	if c.output == "" {
		return usagef("--output is required: the twin file to write (e.g. twin.sql.zst), or - for stdout")
	}
	comp, err := c.compression()
	if err != nil {
		return err
	}
	cfg, err := loadConfig(c.configPath)
	if err != nil {
		return err
	}
	if c.jobs < 1 {
		return usagef("--jobs must be 1 or more, got %d", c.jobs)
	}
	opts := clone.DumpOptions{Compression: comp, OutputName: c.output, Options: clone.Options{
		Jobs: c.jobs, Config: cfg, PgBin: c.pgBin, KeepOwners: c.keepOwners, Getenv: c.env.Getenv, Version: version(),
	}}
	if opts.Source, err = c.env.endpoint(cfg, "source", c.source); err != nil {
		return err
	}
	if opts.Budget, err = c.budget(cfg); err != nil {
		return err
	}
	out, reportTo := c.env.Stdout, c.env.Stdout
	var file *outputFile
	if c.output == "-" {
		if comp != twinfile.None && progress.IsTerminal(c.env.Stdout) {
			return usagef("--output -: refusing to write a compressed twin file to a terminal; redirect stdout to a file or a pipe, or give --output FILE")
		}
		opts.OutputName, reportTo = "stdout", c.env.Stderr
	} else {
		if file, err = createOutput(c.output); err != nil {
			return err
		}
		defer file.discard()
		out = file
	}
	counted := &countingWriter{w: out}
	opts.Output = counted
	prog, err := c.reporter()
	if err != nil {
		return err
	}
	opts.Observer = observe.Join(prog, c.env.observer())
	rep, _, err := clone.Dump(ctx, opts)
	prog.Close()
	if err == nil && file != nil {
		err = file.keep()
	}
	if err != nil {
		left := "nothing was written to stdout's end: the partial stream is refused by pgtwin restore"
		if file != nil {
			left = "no file was written (" + c.output + " is as it was)"
		}
		return runError(ctx, err, "the dump was stopped, "+left)
	}
	return c.print(reportTo, rep)
}

// countingWriter counts the bytes written through it: a dump's file size,
// and (teed) the bytes inspect read.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func (c *countingWriter) Written() int64 { return c.n }

// outputFile is a file written under a temporary name in the directory of
// its path, renamed to the path only once complete.
type outputFile struct {
	*os.File
	path string
	done bool
}

func createOutput(path string) (*outputFile, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return nil, fmt.Errorf("create the twin file: %w", err)
	}
	return &outputFile{File: f, path: path}, nil
}

// keep syncs the file and gives it its name.
func (o *outputFile) keep() error {
	if err := o.Sync(); err != nil {
		return fmt.Errorf("write the twin file: %w", err)
	}
	if err := o.Close(); err != nil {
		return fmt.Errorf("write the twin file: %w", err)
	}
	if err := os.Chmod(o.Name(), 0o644); err != nil {
		return fmt.Errorf("write the twin file: %w", err)
	}
	if err := os.Rename(o.Name(), o.path); err != nil {
		return fmt.Errorf("write the twin file: %w", err)
	}
	o.done = true
	return nil
}

// discard removes the temporary file of a dump that did not finish.
func (o *outputFile) discard() {
	if !o.done {
		o.Close()
		os.Remove(o.Name())
	}
}

type restoreCmd struct {
	cloneCmd
	input string
}

func newRestore(env Env) *cobra.Command {
	c := &restoreCmd{cloneCmd: cloneCmd{env: env}}
	cmd := &cobra.Command{
		Use:   "restore",
		Short: "Load a twin file into the target, with every guard and check of clone",
		Long: `restore loads a twin file made by pgtwin dump into the target in one
transaction, with clone's guards: one run at a time, never into a read-only
target, one holding someone else's tables (see --overwrite-non-twin), or the
very database the file was made from. It checks every table's row count and
checksum and the file's own checksum before it commits: a file that is cut
short, damaged, changed, of an unknown format or not a twin file is refused
and the target is left exactly as it was. No source and no masking key are
needed.`,
		Example: `  pgtwin restore --input twin.sql.zst --target postgres://app@localhost/shop_dev

  # straight from object storage
  aws s3 cp s3://bucket/twin.sql.zst - | pgtwin restore --input -`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return c.run(cmd.Context()) },
	}
	f := cmd.Flags()
	f.StringVarP(&c.input, "input", "i", "", "the twin file to load, or - for stdin (required)")
	f.StringVar(&c.target, "target", "", "target database URL or keyword/value string (default $"+DefaultTargetEnv+")")
	c.targetFlags(f)
	c.outputFlags(f)
	f.DurationVar(&c.maxDuration, "max-duration", 0, "stop and roll back a restore that takes longer than this, e.g. 5m")
	return cmd
}

func (c *restoreCmd) run(ctx context.Context) error {
	if c.input == "" {
		return usagef("--input is required: the twin file to load, or - for stdin")
	}
	if c.maxDuration < 0 {
		return usagef("--max-duration must be more than 0, got %s", c.maxDuration)
	}
	opts := clone.RestoreOptions{Options: clone.Options{
		OverwriteNonTwin: c.overwriteNonTwin, WaitForLock: c.wait, Getenv: c.env.Getenv, Version: version(),
		Budget: clone.Budget{MaxDuration: c.maxDuration, Names: map[string]string{"duration": "--max-duration"}},
	}}
	var err error
	if opts.Target, err = c.env.endpoint(&config.Config{}, "target", c.target); err != nil {
		return err
	}
	in, closeIn, err := c.env.openInput(c.input)
	if err != nil {
		return err
	}
	defer closeIn()
	opts.Input = in
	prog, err := c.reporter()
	if err != nil {
		return err
	}
	opts.Observer = observe.Join(prog, waitNotice{out: c.env.Stderr}, c.env.observer())
	rep, err := clone.Restore(ctx, opts)
	prog.Close()
	if err != nil {
		return runError(ctx, err, "the restore was rolled back, the target is as it was")
	}
	return c.print(c.env.Stdout, rep)
}

// openInput opens a twin file, or stdin for "-".
func (e Env) openInput(path string) (io.Reader, func(), error) {
	if path == "-" {
		if e.Stdin == nil {
			return nil, nil, usagef("--input -: no standard input")
		}
		return e.Stdin, func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, usagef("open the twin file: %v", err)
	}
	return f, func() { f.Close() }, nil
}

type inspectCmd struct {
	env  Env
	json bool
}

func newInspect(env Env) *cobra.Command {
	c := &inspectCmd{env: env}
	cmd := &cobra.Command{
		Use:   "inspect FILE",
		Short: "Show a twin file's manifest and per-table counts, and check its checksums (no server needed)",
		Long: `inspect reads a twin file to its end without any server: it prints the
manifest (format, pgtwin version, source server and identity, snapshot time,
config hash, masking key fingerprint, the rows and checksum of every table)
and checks every checksum, as restore would. A damaged, cut short or changed
file is an error. FILE may be - for stdin.`,
		Example: `  pgtwin inspect twin.sql.zst
  pgtwin inspect --json twin.sql.zst | jq '.counts[] | select(.rows > 0)'`,
		Args: oneFile,
		RunE: func(cmd *cobra.Command, args []string) error { return c.run(args[0]) },
	}
	cmd.Flags().BoolVar(&c.json, "json", false, "print the manifest as JSON")
	return cmd
}

func (c *inspectCmd) run(path string) error {
	in, closeIn, err := c.env.openInput(path)
	if err != nil {
		return err
	}
	defer closeIn()
	counted := &countingWriter{w: io.Discard}
	m, comp, err := twinfile.Check(io.TeeReader(in, counted))
	if err != nil {
		return classify(err)
	}
	if c.json {
		enc := json.NewEncoder(c.env.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(m)
	}
	return writeManifest(c.env.Stdout, path, comp, counted.n, m)
}

// writeManifest writes a file's manifest for people.
func writeManifest(w io.Writer, path string, comp twinfile.Compression, size int64, m *twinfile.Manifest) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Twin file %s (%s, %s), format %d, made by pgtwin %s at %s\n", path, comp, human.Bytes(size), m.Format, m.PgtwinVersion, m.CreatedAt.Format(time.RFC3339))
	id := m.SourceIdentity
	fmt.Fprintf(&b, "Source:   %s (PostgreSQL %s; database %q, OID %d", m.Source, m.SourceServerVersion, id.Database, id.DatabaseOID)
	if id.SystemIdentifier != "" {
		fmt.Fprintf(&b, ", system identifier %s", id.SystemIdentifier)
	}
	fmt.Fprintf(&b, ")\nSnapshot: %s\nConfig:   sha256 %s\nSchemas:  %s\n", m.SnapshotAt.Format(time.RFC3339), m.ConfigHash, strings.Join(m.Schemas, ", "))
	if m.MaskKeyFingerprint != "" {
		fmt.Fprintf(&b, "Masked:   yes, key %s\n", m.MaskKeyFingerprint)
	} else {
		fmt.Fprintf(&b, "Masked:   no (the rows are the source's own values)\n")
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "table\trows\tbytes\tsha256")
	for _, c := range m.Counts {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%.16s…\n", c.Table.Display(), c.Rows, human.Bytes(c.Bytes), c.SHA256)
	}
	fmt.Fprintf(tw, "total\t%d\t%s\t\n", m.Rows, human.Bytes(m.Bytes))
	tw.Flush()
	b.WriteString("\nChecksums: ok (every table and the whole file)\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// oneFile takes exactly the file argument.
func oneFile(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usagef("%s takes one argument, the twin file (or - for stdin), got %d", cmd.CommandPath(), len(args))
	}
	return nil
}

// isFormatError reports whether err says a twin file is not one this
// pgtwin can load: the input's fault, nothing was done.
func isFormatError(err error) bool {
	var fe *twinfile.FormatError
	return errors.As(err, &fe)
}
