package ghaction

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"go.yaml.in/yaml/v3"
)

const (
	exampleWorkflow  = "../../examples/github/create-twin.yml"
	twinFileWorkflow = "../../examples/github/twin-file.yml"
)

// lint runs actionlint on one workflow, with shellcheck when it is
// installed, and fails the test on any error.
func lint(t *testing.T, path string, content []byte, project *actionlint.Project) {
	t.Helper()
	opts := &actionlint.LinterOptions{}
	if p, err := exec.LookPath("shellcheck"); err == nil {
		opts.Shellcheck = p
	} else {
		t.Log("shellcheck is not installed: actionlint checks the scripts without it")
	}
	var out bytes.Buffer
	l, err := actionlint.NewLinter(&out, opts)
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.Lint(path, content, project)
	if err != nil {
		t.Fatalf("actionlint %s: %v", path, err)
	}
	if len(errs) > 0 {
		t.Errorf("actionlint found %d problems in %s:\n%s", len(errs), path, out.String())
	}
}

// TestExampleWorkflowLints lints examples/github/create-twin.yml as users
// copy it.
func TestExampleWorkflowLints(t *testing.T) {
	content, err := os.ReadFile(exampleWorkflow)
	if err != nil {
		t.Fatal(err)
	}
	lint(t, exampleWorkflow, content, nil)

	// What docs/github-actions.md promises about it.
	var wf struct {
		On          map[string]any `yaml:"on"`
		Concurrency struct {
			Group            string `yaml:"group"`
			CancelInProgress bool   `yaml:"cancel-in-progress"`
		} `yaml:"concurrency"`
		Jobs map[string]struct {
			If    string            `yaml:"if"`
			Env   map[string]string `yaml:"env"`
			Steps []struct {
				Uses string            `yaml:"uses"`
				With map[string]string `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(content, &wf); err != nil {
		t.Fatal(err)
	}
	for _, ev := range []string{"schedule", "workflow_dispatch", "pull_request"} {
		if _, ok := wf.On[ev]; !ok {
			t.Errorf("the example is not triggered by %s", ev)
		}
	}
	if !wf.Concurrency.CancelInProgress || wf.Concurrency.Group == "" {
		t.Error("the example should cancel the run in progress (concurrency)")
	}
	job, ok := wf.Jobs["twin"]
	if !ok {
		t.Fatal("the example has no job twin")
	}
	if job.If != "github.event_name != 'pull_request' || github.event.pull_request.merged == true" {
		t.Errorf("job if: %q should skip pull requests closed without merging", job.If)
	}
	for _, v := range []string{"PROD_DATABASE_URL", "DEV_DATABASE_URL", "PGTWIN_MASK_KEY"} {
		if job.Env[v] != "${{ secrets."+v+" }}" {
			t.Errorf("job env %s = %q, want it from the secret of that name", v, job.Env[v])
		}
	}
	found := false
	for _, s := range job.Steps {
		if s.Uses == "pgtwin/pgtwin@v1" {
			found = true
			if s.With["pg-version"] == "" {
				t.Error("the example should set pg-version")
			}
		}
	}
	if !found {
		t.Error("the example does not use pgtwin/pgtwin@v1")
	}
}

// TestExampleWorkflowMatchesAction lints each example with the action taken
// from this repository (uses: ./) instead of pgtwin/pgtwin@v1, so that
// actionlint checks its with: inputs and step outputs against action.yml,
// and action.yml's own metadata.
func TestExampleWorkflowMatchesAction(t *testing.T) {
	for _, ex := range []struct {
		path string
		// output is a reference to an action output in the example; the
		// test misspells it, and actionlint must notice.
		output string
	}{
		{exampleWorkflow, "steps.twin.outputs.rows"},
		{twinFileWorkflow, "steps.restore.outputs.rows"},
	} {
		t.Run(filepath.Base(ex.path), func(t *testing.T) {
			lintWithLocalAction(t, ex.path, ex.output)
		})
	}
}

func lintWithLocalAction(t *testing.T, example, output string) {
	content, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	local := strings.ReplaceAll(string(content), "uses: pgtwin/pgtwin@v1", "uses: ./")
	if local == string(content) {
		t.Fatal("the example does not say uses: pgtwin/pgtwin@v1")
	}
	// A typo in an output name must be caught, or this test proves nothing.
	if !strings.Contains(local, output) {
		t.Fatalf("the example does not use %s", output)
	}
	broken := strings.ReplaceAll(local, output, strings.TrimSuffix(output, "s"))

	root := t.TempDir()
	action, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "action.yml"), action, 0o644); err != nil {
		t.Fatal(err)
	}
	wfDir := filepath.Join(root, ".github", "workflows")
	if err := os.MkdirAll(wfDir, 0o755); err != nil {
		t.Fatal(err)
	}
	project, err := actionlint.NewProject(root)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(wfDir, filepath.Base(example))
	lint(t, path, []byte(local), project)

	l, err := actionlint.NewLinter(&bytes.Buffer{}, &actionlint.LinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.Lint(path, []byte(broken), project)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) == 0 {
		t.Errorf("actionlint did not notice %s, an output action.yml does not have", strings.TrimSuffix(output, "s"))
	}
}

// TestTwinFileWorkflowLints lints examples/github/twin-file.yml as users
// copy it, and checks what docs/github-actions.md promises about it: a
// nightly dump job, the only one with production's secrets, and a job that
// restores its artifact into a service container.
func TestTwinFileWorkflowLints(t *testing.T) {
	content, err := os.ReadFile(twinFileWorkflow)
	if err != nil {
		t.Fatal(err)
	}
	lint(t, twinFileWorkflow, content, nil)

	type step struct {
		Uses string            `yaml:"uses"`
		With map[string]string `yaml:"with"`
		Env  map[string]string `yaml:"env"`
	}
	var wf struct {
		On   map[string]any    `yaml:"on"`
		Env  map[string]string `yaml:"env"`
		Jobs map[string]struct {
			Needs    any               `yaml:"needs"`
			Env      map[string]string `yaml:"env"`
			Services map[string]any    `yaml:"services"`
			Steps    []step            `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(content, &wf); err != nil {
		t.Fatal(err)
	}
	for _, ev := range []string{"schedule", "workflow_dispatch"} {
		if _, ok := wf.On[ev]; !ok {
			t.Errorf("the example is not triggered by %s", ev)
		}
	}
	if len(wf.Env) > 0 {
		t.Errorf("workflow env %v: every job would see it", wf.Env)
	}
	// pgtwin returns the with: of the job's pgtwin step.
	pgtwin := func(job string) map[string]string {
		for _, s := range wf.Jobs[job].Steps {
			if s.Uses == "pgtwin/pgtwin@v1" {
				return s.With
			}
		}
		t.Errorf("job %s does not use pgtwin/pgtwin@v1", job)
		return nil
	}
	if len(wf.Jobs) != 2 {
		t.Errorf("the example has %d jobs, want dump and restore", len(wf.Jobs))
	}

	dump := wf.Jobs["dump"]
	for _, v := range []string{"PROD_DATABASE_URL", "PGTWIN_MASK_KEY"} {
		if dump.Env[v] != "${{ secrets."+v+" }}" {
			t.Errorf("dump job env %s = %q, want it from the secret of that name", v, dump.Env[v])
		}
	}
	if _, ok := dump.Env["DEV_DATABASE_URL"]; ok {
		t.Error("the dump job has a target: dump mode writes a file")
	}
	d := pgtwin("dump")
	if d["mode"] != "dump" || d["pg-version"] == "" {
		t.Errorf("the dump job's pgtwin step: with %v, want mode dump and a pg-version", d)
	}

	restore := wf.Jobs["restore"]
	if restore.Needs != "dump" {
		t.Errorf("job restore needs %v, want dump", restore.Needs)
	}
	if _, ok := restore.Services["postgres"]; !ok {
		t.Error("job restore has no postgres service container")
	}
	if u := restore.Env["DEV_DATABASE_URL"]; !strings.HasPrefix(u, "postgres://") || !strings.Contains(u, "@localhost:5432/") {
		t.Errorf("job restore: DEV_DATABASE_URL = %q, want the service container", u)
	}
	r := pgtwin("restore")
	if r["mode"] != "restore" {
		t.Errorf("the restore job's pgtwin step: with %v, want mode restore", r)
	}
	if d["artifact"] != r["artifact"] {
		t.Errorf("dump uploads artifact %q, restore downloads %q", d["artifact"], r["artifact"])
	}
	// Production's secrets are in the dump job's env and nowhere else.
	for _, secret := range []string{"secrets.PROD_DATABASE_URL", "secrets.PGTWIN_MASK_KEY", "secrets.DEV_DATABASE_URL"} {
		if n := strings.Count(string(content), secret); n > 1 || (n == 1 && secret == "secrets.DEV_DATABASE_URL") {
			t.Errorf("%s appears %d times; only the dump job's env may name production's secrets", secret, n)
		}
	}
}

// TestActionStepsLint lints action.yml's steps as the steps of a reusable
// workflow whose inputs are the action's inputs and whose job outputs are
// its outputs: actionlint does not lint action metadata files, but this way
// it checks every expression, context and step reference in them (and the
// scripts, with shellcheck when installed).
func TestActionStepsLint(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Inputs  map[string]struct{ Default string } `yaml:"inputs"`
		Outputs map[string]struct{ Value string }   `yaml:"outputs"`
		Runs    struct {
			Steps []any `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	inputs := map[string]any{}
	for name, in := range a.Inputs {
		inputs[name] = map[string]any{"type": "string", "required": false, "default": in.Default}
	}
	outputs := map[string]any{}
	for name, o := range a.Outputs {
		outputs[name] = o.Value
	}
	wf := map[string]any{
		"name": "action.yml as a workflow",
		"on":   map[string]any{"workflow_call": map[string]any{"inputs": inputs}},
		"jobs": map[string]any{
			"action": map[string]any{
				"runs-on": "ubuntu-latest",
				"outputs": outputs,
				"steps":   a.Runs.Steps,
			},
		},
	}
	content, err := yaml.Marshal(wf)
	if err != nil {
		t.Fatal(err)
	}
	lint(t, "action-as-workflow.yml", content, nil)
	if t.Failed() {
		t.Logf("the workflow made from action.yml:\n%s", content)
	}
}
