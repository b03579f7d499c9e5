package plan

import (
	"testing"

	"github.com/pgtwin/pgtwin/internal/pgtest"
)

// CheckSQL's tests need a server.
func TestMain(m *testing.M) { pgtest.Main(m) }
