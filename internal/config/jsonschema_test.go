package config

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite schema/pgtwin.schema.json from the Go types")

var schemaFile = filepath.Join("..", "..", "schema", "pgtwin.schema.json")

func TestJSONSchemaIsCurrent(t *testing.T) {
	got, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(schemaFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatalf("%v; run: go test ./internal/config -update", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of date with the config types; run: go test ./internal/config -update", schemaFile)
	}
}

func TestJSONSchema(t *testing.T) {
	b, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		ID   string `json:"$id"`
		Defs map[string]struct {
			Properties           map[string]struct{ Description string } `json:"properties"`
			AdditionalProperties *bool                                   `json:"additionalProperties"`
			Required             []string                                `json:"required"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s.ID != SchemaID {
		t.Errorf("$id %q", s.ID)
	}
	for name, d := range s.Defs {
		if d.AdditionalProperties == nil || *d.AdditionalProperties {
			t.Errorf("%s allows additional properties", name)
		}
		if _, ok := d.Properties["Line"]; ok {
			t.Errorf("%s has Line", name)
		}
		for key, p := range d.Properties {
			if p.Description == "" {
				t.Errorf("%s.%s has no description", name, key)
			}
		}
	}
	if d := s.Defs["Root"].Properties["order_by"].Description; d != "order_by is a SQL ORDER BY list used with limit (default: primary key)." {
		t.Errorf("order_by description %q", d)
	}
	if _, ok := s.Defs["Config"].Properties["File"]; ok {
		t.Error("Config has File")
	}
}
