package doccheck

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// TestPlanPictureIsCurrent checks that the README's picture was drawn from
// what pgtwin plan --dot prints today for the demo shop (the golden output
// of internal/cli/testdata/script/plan_shop.txtar). Redraw it with
// `make docs-img`.
func TestPlanPictureIsCurrent(t *testing.T) {
	ar, err := txtar.ParseFile("../cli/testdata/script/plan_shop.txtar")
	if err != nil {
		t.Fatal(err)
	}
	var golden []byte
	for _, f := range ar.Files {
		if f.Name == "plan.dot" {
			golden = f.Data
		}
	}
	if golden == nil {
		t.Fatal("plan_shop.txtar has no plan.dot")
	}
	have, err := os.ReadFile("../../docs/img/shop-plan.dot")
	if err != nil {
		t.Fatal(err)
	}
	if string(have) != string(golden) {
		t.Error("docs/img/shop-plan.dot differs from pgtwin plan --dot's output: run make docs-img")
	}
}
