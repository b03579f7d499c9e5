package clone

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestFileOwnersHint: a missing role, as the server reports it, gets the
// way out; other errors pass unchanged.
func TestFileOwnersHint(t *testing.T) {
	missing := fmt.Errorf("run the twin file's pre-data section on the target: %w",
		&pgconn.PgError{Code: pgerrcode.UndefinedObject, Message: `role "app_owner" does not exist`})
	got := fileOwnersHint(missing)
	if !strings.HasSuffix(got.Error(), "create the role on the target, or dump without --keep-owners") || !errors.Is(got, missing) {
		t.Errorf("missing role: %v", got)
	}
	other := &pgconn.PgError{Code: pgerrcode.UndefinedObject, Message: `type "citext" does not exist`}
	if got := fileOwnersHint(other); got != error(other) {
		t.Errorf("another error changed: %v", got)
	}
}
