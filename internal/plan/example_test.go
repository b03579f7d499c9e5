package plan_test

import (
	"fmt"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/plan"
)

func ExampleCheck() {
	cat := &catalog.Catalog{
		Schemas: []string{"public", "sales"},
		Tables: []*catalog.Table{
			{Name: catalog.Name{Schema: "public", Name: "users"}, PrimaryKey: []string{"id"},
				Columns: []*catalog.Column{{Name: "id", Type: "bigint", NotNull: true}}},
			{Name: catalog.Name{Schema: "sales", Name: "users"}, PrimaryKey: []string{"id"},
				Columns: []*catalog.Column{{Name: "id", Type: "bigint", NotNull: true}}},
		},
	}
	cfg, err := config.Parse("twin.yaml", []byte("version: 1\nroots:\n  - {table: users, all: true}\n  - {table: sales.usr, all: true}\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = plan.Check(cfg, cat)
	fmt.Println(err)
	// Output:
	// twin.yaml:3: roots[0].table: table users is ambiguous: public.users and sales.users; qualify it
	// twin.yaml:4: roots[1].table: table sales.usr does not exist; did you mean sales.users?
}
