package config

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"regexp"
	"strings"

	"github.com/invopop/jsonschema"
)

// SchemaID is the $id of the config's JSON Schema.
const SchemaID = "https://github.com/pgtwin/pgtwin/schema/pgtwin.schema.json"

//go:embed types.go
var typesSource string

// JSONSchema returns the JSON Schema (draft 2020-12) of the config file,
// generated from the Go types: keys are the yaml names, every mapping
// forbids other keys, and descriptions are the types' doc comments, with Go
// field names replaced by the yaml keys. Editors use it for completion and
// checking; Parse remains the authority.
func JSONSchema() ([]byte, error) {
	comments, err := docComments()
	if err != nil {
		return nil, fmt.Errorf("json schema: %w", err)
	}
	r := &jsonschema.Reflector{
		FieldNameTag: "yaml",
		CommentMap:   comments,
	}
	s := r.Reflect(&Config{})
	s.ID = SchemaID
	s.Title = "pgtwin config"
	if root := s.Definitions["Root"]; root != nil {
		root.AnyOf = []*jsonschema.Schema{
			{Required: []string{"where"}},
			{Required: []string{"limit"}},
			{Required: []string{"percent"}},
			{Required: []string{"all"}},
		}
		root.DependentRequired = map[string][]string{"order_by": {"limit"}}
	}
	if fk := s.Definitions["FKRule"]; fk != nil {
		fk.AnyOf = []*jsonschema.Schema{
			{Required: []string{"columns"}},
			{Required: []string{"name"}},
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("json schema: %w", err)
	}
	return buf.Bytes(), nil
}

// docComments reads the doc comments of the config types from their
// embedded source, keyed as jsonschema.Reflector.CommentMap expects.
func docComments() (map[string]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "types.go", typesSource, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	pkg := reflect.TypeFor[Config]().PkgPath()
	out := map[string]string{}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, spec := range gd.Specs {
			ts := spec.(*ast.TypeSpec)
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			doc := ts.Doc
			if doc == nil && len(gd.Specs) == 1 {
				doc = gd.Doc
			}
			names := map[string]string{} // Go field name -> yaml key
			for _, fld := range st.Fields.List {
				if fld.Tag == nil || len(fld.Names) == 0 {
					continue
				}
				tag := reflect.StructTag(strings.Trim(fld.Tag.Value, "`"))
				key, _, _ := strings.Cut(tag.Get("yaml"), ",")
				if key != "" && key != "-" {
					names[fld.Names[0].Name] = key
				}
			}
			name := ts.Name.Name
			if doc != nil {
				out[pkg+"."+name] = describeText(doc.Text(), names)
			}
			for _, fld := range st.Fields.List {
				if fld.Doc == nil || len(fld.Names) == 0 {
					continue
				}
				out[pkg+"."+name+"."+fld.Names[0].Name] = describeText(fld.Doc.Text(), names)
			}
		}
	}
	return out, nil
}

var wordRE = regexp.MustCompile(`\b[A-Z][A-Za-z]*\b`)

// describeText turns a doc comment into a description: lines joined into
// paragraphs, Go field names replaced by yaml keys.
func describeText(text string, names map[string]string) string {
	var paras []string
	for p := range strings.SplitSeq(strings.TrimSpace(text), "\n\n") {
		paras = append(paras, strings.Join(strings.Fields(p), " "))
	}
	s := strings.Join(paras, "\n\n")
	return wordRE.ReplaceAllStringFunc(s, func(w string) string {
		if k, ok := names[w]; ok {
			return k
		}
		return w
	})
}
