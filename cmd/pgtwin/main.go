// Command pgtwin makes a partial twin of a production PostgreSQL database.
package main

import (
	"context"
	"os"

	"github.com/pgtwin/pgtwin/internal/cli"
)

func main() { os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
