package ghaction

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// repoRoot is the repository root, relative to this package.
const repoRoot = "../.."

// actionFile is action.yml, strictly decoded: a key it does not list is an
// error, so a misspelt "defualt" cannot slip through.
type actionFile struct {
	Name        string            `yaml:"name"`
	Description string            `yaml:"description"`
	Author      string            `yaml:"author"`
	Branding    map[string]string `yaml:"branding"`
	Inputs      map[string]input  `yaml:"inputs"`
	Outputs     map[string]output `yaml:"outputs"`
	Runs        struct {
		Using string `yaml:"using"`
		Steps []step `yaml:"steps"`
	} `yaml:"runs"`
}

type input struct {
	Description string  `yaml:"description"`
	Required    bool    `yaml:"required"`
	Default     *string `yaml:"default"`
}

type output struct {
	Description string `yaml:"description"`
	Value       string `yaml:"value"`
}

type step struct {
	ID    string            `yaml:"id"`
	Name  string            `yaml:"name"`
	If    string            `yaml:"if"`
	Uses  string            `yaml:"uses"`
	With  map[string]string `yaml:"with"`
	Shell string            `yaml:"shell"`
	Env   map[string]string `yaml:"env"`
	Run   string            `yaml:"run"`
}

func (s step) label() string {
	if s.Name != "" {
		return s.Name
	}
	return s.ID
}

func readAction(t *testing.T) (*actionFile, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var a actionFile
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return &a, data
}

// exprRE matches one ${{ … }} expression.
var exprRE = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// refRE matches the context references the action may use.
var refRE = regexp.MustCompile(`\b(inputs|steps|github|runner|env|secrets|matrix|job|vars)\.([A-Za-z0-9_-]+)(?:\.outputs\.([A-Za-z0-9_-]+))?`)

// TestActionMetadata checks action.yml as data: a composite action whose
// inputs are all described and used, whose every ${{ inputs.X }} is
// declared, whose outputs come from its steps, and whose shell scripts take
// their values only through env: (an input interpolated into a script could
// inject shell code).
func TestActionMetadata(t *testing.T) {
	a, data := readAction(t)
	if a.Name == "" || a.Description == "" {
		t.Error("action.yml needs a name and a description")
	}
	if a.Runs.Using != "composite" {
		t.Errorf("runs.using = %q, want composite (no image to build or pull)", a.Runs.Using)
	}

	for name, in := range a.Inputs {
		if strings.TrimSpace(in.Description) == "" {
			t.Errorf("input %s has no description", name)
		}
		if in.Required {
			t.Errorf("input %s is required; every input should have a working default", name)
		}
		if in.Default == nil {
			t.Errorf("input %s has no default", name)
		} else if strings.Contains(*in.Default, "${{") {
			t.Errorf("input %s: its default is an expression; the tests and docs assume literal defaults", name)
		}
	}
	for _, want := range []string{"mode", "config", "source", "target", "file", "artifact", "pg-version", "version", "args"} {
		if _, ok := a.Inputs[want]; !ok {
			t.Errorf("input %s is missing", want)
		}
	}
	if d := a.Inputs["config"].Default; d == nil || *d != "twin.yaml" {
		t.Errorf("input config should default to twin.yaml")
	}
	if d := a.Inputs["mode"].Default; d == nil || *d != "clone" {
		t.Errorf("input mode should default to clone: workflows written before the modes must keep cloning")
	}

	// Every inputs.X in an expression is declared, every input is used
	// (comments left out: they show how a workflow uses the action).
	var code strings.Builder
	for _, l := range strings.SplitAfter(string(data), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			code.WriteString(l)
		}
	}
	used := map[string]bool{}
	for _, m := range exprRE.FindAllStringSubmatch(code.String(), -1) {
		for _, r := range refRE.FindAllStringSubmatch(m[1], -1) {
			switch r[1] {
			case "inputs":
				used[r[2]] = true
				if _, ok := a.Inputs[r[2]]; !ok {
					t.Errorf("${{ %s }} uses input %q, which action.yml does not declare", m[1], r[2])
				}
			case "secrets", "matrix", "vars", "job":
				t.Errorf("${{ %s }}: a composite action cannot see the %s context", m[1], r[1])
			}
		}
	}
	for name := range a.Inputs {
		if !used[name] {
			t.Errorf("input %s is declared but never used", name)
		}
	}

	ids := map[string]int{}
	for i, s := range a.Runs.Steps {
		if s.ID != "" {
			ids[s.ID] = i
		}
	}
	// writes reports whether step id writes output name to $GITHUB_OUTPUT.
	writes := func(id, name string) bool {
		i, ok := ids[id]
		return ok && strings.Contains(a.Runs.Steps[i].Run, `echo "`+name+`=`)
	}

	for _, want := range []string{"rows", "report", "file"} {
		if _, ok := a.Outputs[want]; !ok {
			t.Errorf("output %s is missing", want)
		}
	}
	for name, o := range a.Outputs {
		if o.Description == "" {
			t.Errorf("output %s has no description", name)
		}
		m := regexp.MustCompile(`^\$\{\{ steps\.([a-z-]+)\.outputs\.([a-z-]+) \}\}$`).FindStringSubmatch(o.Value)
		if m == nil {
			t.Errorf("output %s: value %q should be ${{ steps.ID.outputs.NAME }}", name, o.Value)
		} else if !writes(m[1], m[2]) {
			t.Errorf("output %s: step %s never writes %s to $GITHUB_OUTPUT", name, m[1], m[2])
		}
	}

	for i, s := range a.Runs.Steps {
		if s.label() == "" {
			t.Errorf("step %d has neither id nor name", i+1)
		}
		check := func(where, text string) {
			for _, m := range exprRE.FindAllStringSubmatch(text, -1) {
				for _, r := range refRE.FindAllStringSubmatch(m[1], -1) {
					if r[1] != "steps" {
						continue
					}
					j, ok := ids[r[2]]
					switch {
					case !ok:
						t.Errorf("step %q %s: ${{ %s }} names no step", s.label(), where, m[1])
					case j >= i:
						t.Errorf("step %q %s: ${{ %s }} names a later step", s.label(), where, m[1])
					case !writes(r[2], r[3]):
						t.Errorf("step %q %s: step %s never writes output %q", s.label(), where, r[2], r[3])
					}
				}
			}
		}
		check("if", "${{ "+s.If+" }}")
		for k, v := range s.Env {
			check("env "+k, v)
		}
		for k, v := range s.With {
			check("with "+k, v)
		}
		switch {
		case s.Uses != "":
			if !usesRE.MatchString(s.Uses) {
				t.Errorf("step %q uses %s; the only actions the tests expect are actions/setup-go, upload-artifact and download-artifact", s.label(), s.Uses)
			}
			if s.If == "" {
				t.Errorf("step %q: an action step should depend on whether it is needed (the runner's Go, the mode)", s.label())
			}
		default:
			if s.Shell != "bash" {
				t.Errorf("step %q: shell is %q, want bash", s.label(), s.Shell)
			}
			if s.If != "" {
				t.Errorf("step %q: a run step with if: is not run by these tests; decide inside the script", s.label())
			}
			if strings.Contains(s.Run, "${{") {
				t.Errorf("step %q: its script interpolates ${{ … }}; pass values through env: instead", s.label())
			}
			for k, v := range s.Env {
				if strings.Contains(v, "${{") && (len(exprRE.FindAllString(v, -1)) != 1 || exprRE.ReplaceAllString(v, "") != "") {
					t.Errorf("step %q: env %s = %q should be exactly one expression or a literal", s.label(), k, v)
				}
			}
		}
	}
	if !slices.ContainsFunc(a.Runs.Steps, func(s step) bool { return strings.Contains(s.Run, "GITHUB_STEP_SUMMARY") }) {
		t.Error("no step writes a job summary")
	}
}

// usesRE matches the actions action.yml may use: setup-go (never run by
// the tests, which want the runner's Go) and the artifact actions (run by
// the test runner against a local directory, see runner.artifact).
var usesRE = regexp.MustCompile(`^actions/(setup-go|upload-artifact|download-artifact)@v\d+$`)

// runner runs action.yml's steps the way GitHub's runner does, on this
// machine: each run: script with bash --noprofile --norc -eo pipefail, its
// env: mapping evaluated, GITHUB_OUTPUT per step, one GITHUB_STEP_SUMMARY,
// GITHUB_PATH added to later steps' PATH. uses: steps are evaluated for
// their if:; actions/setup-go must be skipped here, and
// actions/upload-artifact and download-artifact are stood in for by copies
// to and from a local directory (see artifact), as GitHub's artifact
// storage cannot be reached from a test.
type runner struct {
	t         *testing.T
	action    *actionFile
	inputs    map[string]string // with the defaults filled in
	github    map[string]string
	workspace string
	temp      string
	jobEnv    map[string]string
	steps     map[string]map[string]string // outputs by step id
	path      []string                     // from GITHUB_PATH
	summary   string                       // path of GITHUB_STEP_SUMMARY
	log       strings.Builder              // what the steps printed
	// artifacts stands in for the workflow run's artifact storage: one
	// directory per artifact name. Runners of one workflow run share it.
	artifacts string
	uploads   map[string]map[string]string // with: of each upload, by artifact name
}

func newRunner(t *testing.T, inputs, jobEnv map[string]string, workspace string) *runner {
	t.Helper()
	a, _ := readAction(t)
	r := &runner{
		t: t, action: a, inputs: map[string]string{}, workspace: workspace, temp: t.TempDir(),
		jobEnv: jobEnv, steps: map[string]map[string]string{},
		artifacts: t.TempDir(), uploads: map[string]map[string]string{},
		github: map[string]string{
			// A local action (uses: ./): no ref, the repository is the action.
			"action_ref":  "",
			"action_path": mustAbs(t, repoRoot),
			"workspace":   workspace,
		},
	}
	for name, in := range a.Inputs {
		r.inputs[name] = *in.Default
	}
	for name, v := range inputs {
		if _, ok := a.Inputs[name]; !ok {
			t.Fatalf("the test passes input %q, which action.yml does not declare", name)
		}
		r.inputs[name] = v
	}
	r.summary = filepath.Join(r.temp, "step_summary.md")
	if err := os.WriteFile(r.summary, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return r
}

func mustAbs(t *testing.T, p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// eval evaluates the small part of GitHub's expression language the action
// uses: context references, 'strings', a || b and a == b / a != b.
func (r *runner) eval(expr string) string {
	expr = strings.TrimSpace(expr)
	if parts := strings.Split(expr, "||"); len(parts) > 1 {
		for _, p := range parts {
			if v := r.eval(p); v != "" {
				return v
			}
		}
		return ""
	}
	for _, op := range []string{"==", "!="} {
		if a, b, ok := strings.Cut(expr, op); ok {
			eq := r.eval(a) == r.eval(b)
			if eq == (op == "==") {
				return "true"
			}
			return ""
		}
	}
	if len(expr) >= 2 && expr[0] == '\'' && expr[len(expr)-1] == '\'' {
		return strings.ReplaceAll(expr[1:len(expr)-1], "''", "'")
	}
	m := refRE.FindStringSubmatch(expr)
	if m == nil || m[0] != expr {
		r.t.Fatalf("the test runner cannot evaluate ${{ %s }}", expr)
	}
	switch m[1] {
	case "inputs":
		return r.inputs[m[2]]
	case "github":
		v, ok := r.github[m[2]]
		if !ok {
			r.t.Fatalf("the test runner has no github.%s", m[2])
		}
		return v
	case "runner":
		if m[2] == "temp" {
			return r.temp
		}
	case "steps":
		if m[3] != "" {
			return r.steps[m[2]][m[3]]
		}
	case "env":
		return r.jobEnv[m[2]]
	}
	r.t.Fatalf("the test runner cannot evaluate ${{ %s }}", expr)
	return ""
}

// expand replaces every ${{ … }} in s by its value.
func (r *runner) expand(s string) string {
	return exprRE.ReplaceAllStringFunc(s, func(m string) string {
		return r.eval(exprRE.FindStringSubmatch(m)[1])
	})
}

// baseEnv is this process's environment without anything that would let a
// step find a database or a pg_dump the test did not give it.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PG") || strings.HasPrefix(k, "GITHUB_") ||
			k == "PROD_DATABASE_URL" || k == "DEV_DATABASE_URL" || k == "RUNNER_TEMP" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// run runs every step in order; it stops at the first failing step and
// returns its exit code (0 when all succeeded).
func (r *runner) run() int {
	r.t.Helper()
	for i, s := range r.action.Runs.Steps {
		if s.If != "" && r.eval(s.If) == "" {
			fmt.Fprintf(&r.log, "## %s: skipped\n", s.label())
			continue
		}
		if s.Uses != "" {
			if code := r.artifact(s); code != 0 {
				return code
			}
			continue
		}
		out := filepath.Join(r.temp, fmt.Sprintf("output_%d", i))
		pathFile := filepath.Join(r.temp, fmt.Sprintf("path_%d", i))
		script := filepath.Join(r.temp, fmt.Sprintf("step_%d.sh", i))
		for _, f := range []string{out, pathFile} {
			if err := os.WriteFile(f, nil, 0o644); err != nil {
				r.t.Fatal(err)
			}
		}
		if err := os.WriteFile(script, []byte(s.Run), 0o644); err != nil {
			r.t.Fatal(err)
		}
		env := baseEnv()
		for k, v := range r.jobEnv {
			env = append(env, k+"="+v)
		}
		if len(r.path) > 0 {
			env = append(env, "PATH="+strings.Join(append(slices.Clone(r.path), os.Getenv("PATH")), string(os.PathListSeparator)))
		}
		env = append(env,
			"GITHUB_ACTIONS=true", "CI=true", "RUNNER_TEMP="+r.temp, "GITHUB_WORKSPACE="+r.workspace,
			"GITHUB_OUTPUT="+out, "GITHUB_PATH="+pathFile, "GITHUB_STEP_SUMMARY="+r.summary)
		for k, v := range s.Env {
			env = append(env, k+"="+r.expand(v))
		}
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
		cmd.Dir = r.workspace
		cmd.Env = env
		b, err := cmd.CombinedOutput()
		fmt.Fprintf(&r.log, "## %s\n%s", s.label(), b)
		if s.ID != "" {
			r.steps[s.ID] = readOutputs(r.t, out)
		}
		for _, l := range readLines(r.t, pathFile) {
			r.path = append([]string{l}, r.path...)
		}
		if err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				return ee.ExitCode()
			}
			r.t.Fatalf("step %q: %v", s.label(), err)
		}
	}
	return 0
}

// artifact runs an actions/upload-artifact or download-artifact step
// against r.artifacts, as GitHub's artifact storage would behave for what
// the action does with it: an upload of one file stores it under its base
// name (a second upload of a name fails, as with upload-artifact v4 and
// later), a download by name extracts the artifact's files into path (and
// fails when there is no such artifact). It returns the step's exit code.
// Any other action fails the test: actions/setup-go in particular, which
// the tests expect the runner's Go to make unnecessary.
func (r *runner) artifact(s step) int {
	r.t.Helper()
	m := usesRE.FindStringSubmatch(s.Uses)
	if m == nil || m[1] == "setup-go" {
		r.t.Fatalf("the action would run %s here (if: %s); the test cannot, and expects the runner's Go to do", s.Uses, s.If)
	}
	with := map[string]string{}
	for k, v := range s.With {
		with[k] = r.expand(v)
	}
	name := with["name"]
	if name == "" || strings.ContainsAny(name, `/\:"<>|*?`) {
		r.t.Fatalf("step %q: artifact name %q", s.label(), name)
	}
	dir := filepath.Join(r.artifacts, name)
	fail := func(format string, args ...any) int {
		fmt.Fprintf(&r.log, "## %s (%s, stood in for)\nError: %s\n", s.label(), s.Uses, fmt.Sprintf(format, args...))
		return 1
	}
	switch m[1] {
	case "upload-artifact":
		fi, err := os.Stat(with["path"])
		switch {
		case err != nil && with["if-no-files-found"] == "error":
			return fail("no files were found with the provided path: %s", with["path"])
		case err != nil:
			r.t.Fatalf("step %q: path %q: %v (and if-no-files-found is not error)", s.label(), with["path"], err)
		case !fi.Mode().IsRegular() || !filepath.IsAbs(with["path"]):
			r.t.Fatalf("step %q: path %q should be the absolute path of one file", s.label(), with["path"])
		}
		if _, err := os.Stat(dir); err == nil {
			return fail("an artifact with the name %s already exists in this workflow run", name)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			r.t.Fatal(err)
		}
		copyFile(r.t, with["path"], filepath.Join(dir, filepath.Base(with["path"])))
		r.uploads[name] = with
	case "download-artifact":
		if with["path"] == "" {
			r.t.Fatalf("step %q: no path: the artifact would go to the workspace", s.label())
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return fail("artifact not found: %s", name)
		}
		if err := os.MkdirAll(with["path"], 0o755); err != nil {
			r.t.Fatal(err)
		}
		for _, e := range entries {
			copyFile(r.t, filepath.Join(dir, e.Name()), filepath.Join(with["path"], e.Name()))
		}
	}
	fmt.Fprintf(&r.log, "## %s (%s, stood in for)\n%s %s\n", s.label(), s.Uses, m[1], name)
	return 0
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// outputs evaluates the action's outputs.
func (r *runner) outputs() map[string]string {
	out := map[string]string{}
	for name, o := range r.action.Outputs {
		out[name] = r.expand(o.Value)
	}
	return out
}

func (r *runner) summaryText() string {
	b, err := os.ReadFile(r.summary)
	if err != nil {
		r.t.Fatal(err)
	}
	return string(b)
}

// readOutputs reads a GITHUB_OUTPUT file: name=value lines (the action
// writes no multi-line values).
func readOutputs(t *testing.T, file string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, l := range readLines(t, file) {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			t.Fatalf("%s: line %q is not name=value", filepath.Base(file), l)
		}
		out[k] = v
	}
	return out
}

func readLines(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" {
			lines = append(lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}
