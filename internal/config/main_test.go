package config

import (
	"flag"
	"os"
	"testing"

	"github.com/pgtwin/pgtwin/internal/pgtest"
)

func TestMain(m *testing.M) {
	flag.Parse()
	if w := flag.Lookup("test.fuzzworker"); w != nil && w.Value.String() == "true" {
		// Fuzz workers run only the fuzz targets, which need no server.
		os.Exit(m.Run())
	}
	pgtest.Main(m)
}
