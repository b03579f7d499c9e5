package config_test

import (
	"fmt"

	"github.com/pgtwin/pgtwin/internal/config"
)

func ExampleParse() {
	cfg, err := config.Parse("twin.yaml", []byte(`version: 1
roots:
  - table: users
    where: created_at > now() - interval '30 days'
    order_by: id DESC
    limit: 100
foreign_keys:
  - table: users
    columns: [last_order_id]
    cut: true
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	r := cfg.Roots[0]
	fmt.Printf("root on %s, line %d: %d rows where %s\n", r.Table, r.Line, *r.Limit, r.Where)
	fmt.Printf("cut %s(%s)\n", cfg.ForeignKeys[0].Table, cfg.ForeignKeys[0].Columns[0])
	// Output:
	// root on users, line 3: 100 rows where created_at > now() - interval '30 days'
	// cut users(last_order_id)
}

func ExampleParse_errors() {
	_, err := config.Parse("twin.yaml", []byte(`version: 1
roots:
  - table: users
    limit: -5
  - table: orders
    wher: total > 100
`))
	fmt.Println(err)
	// Output:
	// twin.yaml:4: roots[0].limit: must be 0 or more, got -5
	// twin.yaml:6: roots[1].wher: unknown key; did you mean where?
}
