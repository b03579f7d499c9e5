package cli_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/pgtwin/pgtwin/internal/cli"
)

// docHint is the pointer to the documentation that pgtwin adds to the error
// lines a doc section explains (see docs.go); the message tests compare the
// message without it, and TestErrorsPointAtDocs checks it.
var docHint = regexp.MustCompile(` \(see https://github\.com/pgtwin/pgtwin/blob/main/docs/([a-z_.]+#[a-z0-9_-]+)\)(\n?)$`)

func withoutDocHint(s string) string { return docHint.ReplaceAllString(s, "$2") }

// TestErrorsPointAtDocs: errors that a doc section explains end with a
// link to it; bad usage that the message settles has none.
func TestErrorsPointAtDocs(t *testing.T) {
	cfg := writeFile(t, "twin.yaml", "version: 2\n")
	for _, tc := range []struct {
		name string
		args []string
		want string // "" for no link
	}{
		{"config", []string{"plan", "--config", cfg, "--source", "host=/nonexistent"}, "troubleshooting.md#config-errors"},
		{"connection", []string{"plan", "--source", "host=/nonexistent port=5432 user=x dbname=y"}, "troubleshooting.md#connections"},
		{"usage", []string{"plan", "--no-such-flag"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runPgtwin(t, nil, tc.args...)
			got := ""
			if m := docHint.FindStringSubmatch(r.stderr); m != nil {
				got = m[1]
			}
			if got != tc.want {
				t.Errorf("stderr %q links to %q, want %q", r.stderr, got, tc.want)
			}
		})
	}
}

// TestDocSectionsExist: every section an error can link to is a heading of
// the page it names.
func TestDocSectionsExist(t *testing.T) {
	for _, s := range cli.DocSections() {
		page, anchor, _ := strings.Cut(s, "#")
		text, err := os.ReadFile("../../docs/" + page)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, line := range strings.Split(string(text), "\n") {
			if h, ok := strings.CutPrefix(line, "## "); ok && githubAnchor(h) == anchor {
				found = true
			}
		}
		if !found {
			t.Errorf("docs/%s has no section #%s", page, anchor)
		}
	}
}

// githubAnchor is the anchor GitHub gives a heading: lower case, spaces to
// dashes, punctuation other than - and _ dropped.
func githubAnchor(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		}
	}
	return b.String()
}
