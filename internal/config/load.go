package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// maxValues bounds the values a config may expand to through YAML aliases,
// so a small file cannot make Parse do unbounded work.
const maxValues = 100_000

// Load reads and parses the config file at path. See Parse.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data)
}

// Parse parses a version 1 config; file names it in messages. Parsing is
// strict: unknown keys, duplicate keys, values of the wrong shape and
// contradictory settings are errors. Every problem found is reported, as a
// *Error ("FILE:LINE: PATH: MESSAGE"), joined with errors.Join and sorted by
// line. YAML anchors, aliases and merge keys (<<) are allowed.
//
// Parse does not look at any database; plan.Check resolves the names
// against a catalog and plan.CheckSQL has the server check the SQL
// fragments.
func Parse(file string, data []byte) (cfg *Config, err error) {
	defer func() {
		// The YAML parser has panicked on odd input before; a config file
		// must never take the program down.
		if r := recover(); r != nil {
			cfg, err = nil, &Error{File: file, Msg: fmt.Sprintf("cannot parse YAML: %v", r)}
		}
	}()
	p := &problems{file: file}
	root, err := parseYAML(file, data)
	if err != nil {
		return nil, err
	}
	d := &decoder{problems: p, lines: map[string]int{}, bad: map[string]bool{}, broken: map[string]bool{}}
	cfg = &Config{File: file}
	d.decode(root, reflect.ValueOf(cfg).Elem(), "", root.Line)
	if d.visits <= maxValues {
		d.validate(cfg, root.Line)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	cfg.lines = d.lines
	return cfg, nil
}

// parseYAML returns the single document's top node, a mapping.
func parseYAML(file string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: file, Line: 1, Msg: `the config is empty; it starts with "version: 1"`}
		}
		return nil, yamlError(file, data, err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		return nil, &Error{File: file, Line: next.Line, Msg: "a config is one YAML document; found a second one"}
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlError(file, data, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &Error{File: file, Line: 1, Msg: `the config is empty; it starts with "version: 1"`}
	}
	root := doc.Content[0]
	if root.Kind == yaml.AliasNode && root.Alias != nil {
		root = root.Alias
	}
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil, &Error{File: file, Line: root.Line, Msg: `the config is empty; it starts with "version: 1"`}
	}
	if root.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: root.Line, Msg: fmt.Sprintf(`the config must be a mapping of keys (version: 1, roots: …), got %s`, describe(root))}
	}
	return root, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

var anchorRE = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)

// yamlError turns a YAML syntax error into an *Error. The parser leaves
// the line out of a few messages; yamlError finds it where it can.
func yamlError(file string, data []byte, err error) error {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line, Msg: "YAML syntax: " + m[2] + "; check the indentation, quotes and brackets there", Err: err}
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	line := 0
	if m := anchorRE.FindStringSubmatch(msg); m != nil {
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			line = lineAt(data, i)
		}
	} else if i := badChar(data); i >= 0 {
		line = lineAt(data, i)
	}
	return &Error{File: file, Line: line, Msg: msg, Err: err}
}

// badChar returns the offset of the first byte YAML does not allow (a
// control character or invalid UTF-8), or -1.
func badChar(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			return i
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r',
			r >= 0x7f && r < 0xa0 && r != 0x85,
			r == 0xfffe || r == 0xffff:
			return i
		}
		i += n
	}
	return -1
}

func lineAt(data []byte, offset int) int { return bytes.Count(data[:offset], []byte("\n")) + 1 }

// decoder walks the YAML node tree alongside the Go types, using the same
// yaml struct tags that the JSON Schema is generated from. It does what
// yaml's KnownFields decoding does, but names the field path of every
// problem and reports all of them, not the first.
type decoder struct {
	*problems
	lines  map[string]int  // field path -> line of its key
	bad    map[string]bool // entries (roots[1]) and paths with shape errors, and their parents
	broken map[string]bool // paths with shape errors
	visits int
}

// fail reports a shape error. validate then skips the checks that involve
// the path or its entry, so that one mistake is reported once.
func (d *decoder) fail(line int, path, format string, args ...any) {
	d.add(line, path, format, args...)
	d.bad[entryOf(path)] = true
	d.broken[path] = true
	for p := path; p != ""; p = parent(p) {
		d.bad[p] = true
	}
}

// failed reports whether path, anything under it, or a path above it had a
// shape error.
func (d *decoder) failed(path string) bool {
	if d.bad[path] {
		return true
	}
	for p := parent(path); p != ""; p = parent(p) {
		if d.broken[p] {
			return true
		}
	}
	return false
}

// parent strips the last element of a path: roots[1].limit -> roots[1] -> roots.
func parent(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// entryOf returns the config entry a path belongs to: roots[1].limit ->
// roots[1]; schemas.include[0] -> schemas.
func entryOf(path string) string {
	if i := strings.IndexByte(path, ']'); i >= 0 {
		return path[:i+1]
	}
	if i := strings.IndexAny(path, ".["); i >= 0 {
		return path[:i]
	}
	return path
}

// visit counts a value; it reports false once the count is past maxValues.
func (d *decoder) visit(n *yaml.Node) bool {
	d.visits++
	if d.visits == maxValues+1 {
		d.add(n.Line, "", "the config expands to more than %d values through YAML aliases", maxValues)
	}
	return d.visits <= maxValues
}

// decode stores node n into v. line is the line to record for a struct's
// Line field: its key's line, or the list item's.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string, line int) {
	n = resolve(n)
	if !d.visit(n) {
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // as if left out
	}
	switch v.Kind() {
	case reflect.Pointer:
		e := reflect.New(v.Type().Elem())
		before := len(d.list)
		d.decode(n, e.Elem(), path, line)
		if len(d.list) == before {
			v.Set(e)
		}
	case reflect.Struct:
		d.mapping(n, v, path, line)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n.Line, path, "must be a list, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			d.lines[p] = resolve(item).Line
			d.decode(item, s.Index(i), p, resolve(item).Line)
		}
		v.Set(s)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.fail(n.Line, path, "must be text, got %s", describe(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Int, reflect.Int64:
		var i int64
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil || v.OverflowInt(i) {
			d.fail(n.Line, path, "must be a whole number, got %s", describe(n))
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		var f float64
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || n.Decode(&f) != nil {
			d.fail(n.Line, path, "must be a number, got %s", describe(n))
			return
		}
		v.SetFloat(f)
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			d.fail(n.Line, path, "must be true or false, got %s", describe(n))
			return
		}
		v.SetBool(b)
	default:
		d.fail(n.Line, path, "cannot hold a value of type %s", v.Type())
	}
}

// mapping decodes a mapping node into struct v.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string, line int) {
	if n.Kind != yaml.MappingNode {
		d.fail(n.Line, path, "must be a mapping of keys, got %s", describe(n))
		return
	}
	if f := v.FieldByName("Line"); f.IsValid() && f.Kind() == reflect.Int {
		f.SetInt(int64(line))
	}
	fields := yamlFields(v.Type())
	for _, kv := range d.pairs(n, path, 0) {
		key := kv.key.Value
		p := key
		if path != "" {
			p = path + "." + key
		}
		i, ok := fields[key]
		if !ok {
			names := make([]string, 0, len(fields))
			for name := range fields {
				names = append(names, name)
			}
			slices.Sort(names)
			d.fail(kv.key.Line, p, "unknown key%s", DidYouMean(key, names))
			continue
		}
		d.lines[p] = kv.key.Line
		d.decode(kv.val, v.FieldByIndex(i), p, kv.key.Line)
	}
}

type keyValue struct{ key, val *yaml.Node }

// pairs lists a mapping's keys and values, with YAML merge keys (<<)
// applied: explicit keys win over merged ones, and earlier merged mappings
// over later ones. Duplicate explicit keys are errors.
func (d *decoder) pairs(n *yaml.Node, path string, depth int) []keyValue {
	var explicit, merged []keyValue
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !d.visit(n) {
			return nil
		}
		k, val := resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.fail(k.Line, path, "keys must be plain names, got %s", describe(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			merged = append(merged, d.merge(val, path, depth)...)
			continue
		}
		if first, ok := seen[k.Value]; ok {
			d.fail(k.Line, join(path, k.Value), "duplicate key (first on line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		explicit = append(explicit, keyValue{k, val})
	}
	for _, kv := range merged {
		if _, ok := seen[kv.key.Value]; !ok {
			seen[kv.key.Value] = kv.key.Line
			explicit = append(explicit, kv)
		}
	}
	return explicit
}

// merge returns the pairs a merge key's value brings in.
func (d *decoder) merge(val *yaml.Node, path string, depth int) []keyValue {
	if depth > 100 {
		d.fail(val.Line, join(path, "<<"), "merge keys nest too deeply")
		return nil
	}
	val = resolve(val)
	switch val.Kind {
	case yaml.MappingNode:
		return d.pairs(val, path, depth+1)
	case yaml.SequenceNode:
		var out []keyValue
		seen := map[string]bool{}
		for _, m := range val.Content {
			m = resolve(m)
			if m.Kind != yaml.MappingNode {
				d.fail(m.Line, join(path, "<<"), "must be a mapping or a list of mappings, got %s", describe(m))
				continue
			}
			for _, kv := range d.pairs(m, path, depth+1) {
				if !seen[kv.key.Value] {
					seen[kv.key.Value] = true
					out = append(out, kv)
				}
			}
		}
		return out
	default:
		d.fail(val.Line, join(path, "<<"), "must be a mapping or a list of mappings, got %s", describe(val))
		return nil
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// resolve follows aliases to the anchored node.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// describe names a node's value for messages: a list, a mapping, "abc", 5.
func describe(n *yaml.Node) string {
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing"
		case "!!int", "!!float", "!!bool":
			return n.Value
		}
		v := n.Value
		if r := []rune(v); len(r) > 40 {
			v = string(r[:40]) + "…"
		}
		return strconv.Quote(v)
	}
	return "an unexpected value"
}

// yamlFields maps the yaml key names of a struct type's fields to their
// index path; fields tagged yaml:"-" are left out, and the fields of an
// embedded struct tagged yaml:",inline" are the struct's own.
func yamlFields(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && opts == "inline" {
			for k, idx := range yamlFields(f.Type) {
				out[k] = append([]int{i}, idx...)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = []int{i}
	}
	return out
}
