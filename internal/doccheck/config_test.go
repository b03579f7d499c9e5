package doccheck

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pgtwin/pgtwin/internal/config"
)

const repoRoot = "../.."

// schemaKeys returns every key path of the JSON Schema: version, source,
// source.url_env, roots, roots[].where, …
func schemaKeys(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(repoRoot + "/schema/pgtwin.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s node
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	var keys []string
	seen := map[string]bool{}
	var walk func(prefix string, n *node)
	walk = func(prefix string, n *node) {
		n = s.resolve(t, n)
		if seen[prefix] && prefix != "" {
			return // a recursive definition
		}
		seen[prefix] = true
		for name, p := range n.Properties {
			path := prefix + name
			keys = append(keys, path)
			p = s.resolve(t, p)
			switch {
			case len(p.Properties) > 0:
				walk(path+".", p)
			case p.Items != nil && len(s.resolve(t, p.Items).Properties) > 0:
				walk(path+"[].", p.Items)
			}
		}
	}
	walk("", &s)
	sort.Strings(keys)
	if len(keys) < 10 {
		t.Fatalf("the schema has only %d keys: %v; is it the config's schema?", len(keys), keys)
	}
	return keys
}

// node is the part of a JSON Schema the walk needs.
type node struct {
	Ref        string           `json:"$ref"`
	Defs       map[string]*node `json:"$defs"`
	Properties map[string]*node `json:"properties"`
	Items      *node            `json:"items"`
}

func (root *node) resolve(t *testing.T, n *node) *node {
	for n.Ref != "" {
		name, ok := strings.CutPrefix(n.Ref, "#/$defs/")
		if !ok || root.Defs[name] == nil {
			t.Fatalf("cannot resolve $ref %q", n.Ref)
		}
		n = root.Defs[name]
	}
	return n
}

var (
	// headingRE matches a key's section: ### `roots[].where`
	headingRE = regexp.MustCompile("(?m)^#{2,4} `([^`]+)`\\s*$")
	// codeRE matches inline code outside fenced blocks.
	codeRE = regexp.MustCompile("`([^`\n]+)`")
	// keyPathRE matches what looks like a config key path.
	keyPathRE = regexp.MustCompile(`^[a-z_]+(\[\])?(\.[a-z_]+(\[\])?)*$`)
	fenceRE   = regexp.MustCompile("(?ms)^```([a-z]*)\n(.*?)^```\\s*$")
)

// TestConfigDocMatchesSchema: docs/config.md has one section per key of
// the JSON Schema, and no section, and no `key.path` in its text, that the
// schema lacks.
func TestConfigDocMatchesSchema(t *testing.T) {
	keys := schemaKeys(t)
	data, err := os.ReadFile(repoRoot + "/docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)

	var documented []string
	for _, m := range headingRE.FindAllStringSubmatch(doc, -1) {
		documented = append(documented, m[1])
	}
	for _, k := range keys {
		if n := count(documented, k); n != 1 {
			t.Errorf("docs/config.md has %d sections for key %s, want one (a heading: ### `%s`)", n, k, k)
		}
	}
	for _, d := range documented {
		if !slices.Contains(keys, d) {
			t.Errorf("docs/config.md documents key %s, which the JSON Schema does not have", d)
		}
	}
	if t.Failed() {
		t.Logf("the schema's keys: %s", strings.Join(keys, ", "))
	}

	// Inline code that looks like a key path (it starts with a top-level
	// key and has a . or []) must be a key of the schema.
	top := map[string]bool{}
	for _, k := range keys {
		top[strings.FieldsFunc(k, func(r rune) bool { return r == '.' || r == '[' })[0]] = true
	}
	prose := fenceRE.ReplaceAllString(doc, "")
	for _, m := range codeRE.FindAllStringSubmatch(prose, -1) {
		c := m[1]
		if !keyPathRE.MatchString(c) || !strings.ContainsAny(c, ".[") {
			continue
		}
		first := strings.FieldsFunc(c, func(r rune) bool { return r == '.' || r == '[' })[0]
		if !top[first] {
			continue
		}
		if k := strings.TrimSuffix(c, "[]"); !slices.Contains(keys, k) {
			t.Errorf("docs/config.md mentions `%s`, which is not a key of the JSON Schema", c)
		}
	}

	// Section links (#foreign_keyscut) point at a section.
	anchors := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^#+ (.+)$`).FindAllStringSubmatch(doc, -1) {
		anchors[anchor(m[1])] = true
	}
	for _, m := range regexp.MustCompile(`\]\(#([^)]+)\)`).FindAllStringSubmatch(doc, -1) {
		if !anchors[m[1]] {
			t.Errorf("docs/config.md links to #%s, which is no heading there", m[1])
		}
	}
}

// anchor is GitHub's anchor for a heading: lower case, punctuation
// dropped, spaces to hyphens.
func anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestConfigDocExamplesLoad loads every YAML example of docs/config.md
// with pgtwin's strict config loader (version: 1 added when the example
// leaves it out).
func TestConfigDocExamplesLoad(t *testing.T) {
	data, err := os.ReadFile(repoRoot + "/docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range fenceRE.FindAllStringSubmatchIndex(string(data), -1) {
		lang, body := string(data[m[2]:m[3]]), string(data[m[4]:m[5]])
		if lang != "yaml" {
			continue
		}
		n++
		line := strings.Count(string(data[:m[4]]), "\n") + 1
		if !regexp.MustCompile(`(?m)^version:`).MatchString(body) {
			body = "version: 1\n" + body
		}
		if _, err := config.Parse(fmt.Sprintf("docs/config.md:%d", line), []byte(body)); err != nil {
			t.Errorf("the example at docs/config.md:%d does not load:\n%v\n%s", line, err, body)
		}
	}
	if n < len(schemaKeys(t)) {
		t.Errorf("docs/config.md has %d YAML examples, fewer than the schema's keys", n)
	}
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}
