package config

import (
	"os"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	full, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		string(full), "", "version: 1\n", "- x", "version: 1\nroots: [{table: a, limit: -1}]\n",
		"a: &a [*a]", "version: 1\nroots:\n  - <<: {table: a}\n    all: true\n", "version: 1\n---\nx: 1\n",
		"version: 1\nforeign_keys: [{table: t, columns: [a, a], cut: true, children_where: \"x; y\"}]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yaml", data)
		if err == nil {
			if cfg == nil || cfg.Version != 1 {
				t.Fatalf("no error, config %+v", cfg)
			}
			return
		}
		if cfg != nil {
			t.Fatalf("config and error: %v", err)
		}
		for line := range strings.SplitSeq(err.Error(), "\n") {
			if !strings.HasPrefix(line, "fuzz.yaml:") {
				t.Fatalf("error line does not start with the file name: %q", line)
			}
		}
	})
}
