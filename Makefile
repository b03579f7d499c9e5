# pgtwin — run `make help` for the targets.
GO ?= go
BIN := bin/pgtwin

.PHONY: help build demo test bench vet fmt schema docs-img clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

build: ## build bin/pgtwin
	$(GO) build -o $(BIN) ./cmd/pgtwin

demo: ## run pgtwin on a sample shop database in throwaway local servers
	$(GO) run ./cmd/pgtwin demo

test: ## run every test against throwaway PostgreSQL servers (vet and gofmt included)
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 15m ./...

BENCH_FLAGS ?= -small 100000 -large 10000000 -runs 3

bench: ## measure pgtwin on generated data (100k and 10M rows) against pg_dump | pg_restore; prints a Markdown table
	$(GO) run ./bench $(BENCH_FLAGS)

schema: ## regenerate schema/pgtwin.schema.json from the config types
	$(GO) test ./internal/config -run TestJSONSchemaIsCurrent -update

docs-img: ## redraw the README's plan picture from pgtwin plan --dot's golden output (needs graphviz)
	sed -n '/^-- plan.dot --$$/,$$p' internal/cli/testdata/script/plan_shop.txtar | tail -n +2 > docs/img/shop-plan.dot
	dot -Tsvg docs/img/shop-plan.dot > docs/img/shop-plan.svg

clean: ## remove build output
	rm -rf bin
