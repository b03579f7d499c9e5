package config

import (
	"testing"

	"github.com/pgtwin/pgtwin/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
