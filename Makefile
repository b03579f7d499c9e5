# pgtwin — run `make help` for the targets.
GO ?= go
BIN := bin/pgtwin

.PHONY: help build demo test fuzz bench vet fmt schema docs-img clean

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

FUZZTIME ?= 20s
FUZZPARALLEL ?= 1

fuzz: ## run every fuzz test in the repository for FUZZTIME each (default 20s; FUZZTIME=5m make fuzz for longer)
	@set -e; for dir in $$($(GO) list -f '{{.Dir}}' ./...); do \
	  for fz in $$(cat $$dir/*_test.go 2>/dev/null | sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p'); do \
	    echo "== $$fz ($$dir)"; \
	    (cd $$dir && $(GO) test -run '^$$' -fuzz "^$$fz\$$" -fuzztime $(FUZZTIME) -parallel $(FUZZPARALLEL) .); \
	  done; \
	done

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
