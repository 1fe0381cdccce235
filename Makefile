# Atende: `make run` builds and runs it on the embedded default (SQLite and an
# in-process NATS, data in ./atende-data); `make test` runs every test.

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS  := -X github.com/atende/atende/internal/cli.Version=$(VERSION) -X github.com/atende/atende/internal/cli.Commit=$(COMMIT)
SQLC     := github.com/sqlc-dev/sqlc/cmd/sqlc@v1.29.0

# The store conformance suite runs every storage test on SQLite and on this
# PostgreSQL (each test in a database of its own, dropped afterwards). Outside
# CI an unreachable server skips the PostgreSQL variants; under CI=true it
# fails them.
export ATENDE_TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
export ATENDE_TEST_NATS_URL ?= nats://127.0.0.1:4222

.PHONY: build run test vet generate clean web web-test widget widget-check e2e bench

build: web
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/atende ./cmd/atende

run: build
	./bin/atende serve

vet:
	@unformatted="$$(gofmt -l .)"; if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

test: vet
	$(GO) test -race -count=1 -timeout 25m ./...
	# The routing race test and the randomised simulation at full size on
	# SQLite: under -race pure-Go SQLite is too slow for them, so they run
	# once more without.
	$(GO) test -count=1 -timeout 25m -run 'TestConcurrentEngines|TestRandomisedSimulation' ./internal/routing/
	$(MAKE) web-test
	$(MAKE) e2e

# The agent workspace: web/agent/src (React + TypeScript) type-checked and
# built by Vite into web/agent/dist, which is not committed and is embedded in
# the binary (without it the binary serves a page saying to run make web).
web: web/agent/node_modules/.package-lock.json
	cd web/agent && npm run build

web/agent/node_modules/.package-lock.json: web/agent/package-lock.json
	cd web/agent && npm ci --no-audit --no-fund

# The workspace's component tests (Vitest), and its initial JavaScript
# against the budget of 300 KB gzipped.
web-test: web
	cd web/agent && npx vitest run && node size.mjs

# The website chat widget: web/widget/src built into web/widget/dist/widget.js,
# which is committed (so `go build` needs no Node.js) and embedded in the binary.
widget:
	cd web/widget && npm ci --no-audit --no-fund && npm run build

# Fails when the widget's TypeScript does not type-check or the committed
# bundle is not what its sources build.
widget-check:
	cd web/widget && npm ci --no-audit --no-fund && npm run --silent typecheck && npx esbuild src/widget.ts --bundle --minify --format=iife \
		--target=es2019 --legal-comments=none --outfile=$(CURDIR)/bin/widget-check.js
	@cmp -s bin/widget-check.js web/widget/dist/widget.js || { echo "web/widget/dist/widget.js is stale: run make widget and commit it"; exit 1; }
	@echo "widget.js: $$(gzip -9 -c web/widget/dist/widget.js | wc -c) bytes gzipped (budget 30720)"
	@test $$(gzip -9 -c web/widget/dist/widget.js | wc -c) -le 30720

# Browser tests: playwright-core driving Debian's Chromium (/usr/bin/chromium)
# against the built binary; screenshots land in e2e/artifacts/.
e2e: build widget-check
	cd e2e && npm ci --no-audit --no-fund && node --test --test-reporter=spec

# Every benchmark scenario at a small size (a couple of minutes in all), each
# on a server of its own; BENCH_ARGS adds flags to every scenario, e.g.
# BENCH_ARGS=--json, or BENCH_ARGS='--postgres postgres://postgres@127.0.0.1/postgres'.
# docs/benchmarks.md has the method, the sizes of the budget and the figures.
BENCH_ARGS ?=
bench: build
	./bin/atende bench idle --runs 3 $(BENCH_ARGS)
	./bin/atende bench list --conversations 20000 --samples 100 $(BENCH_ARGS)
	./bin/atende bench inbound --rate 200 --duration 10s $(BENCH_ARGS)
	./bin/atende bench assign --conversations 200 --agents 10 $(BENCH_ARGS)
	./bin/atende bench connections --count 2000 $(BENCH_ARGS)

# Regenerates internal/store/*_gen.go from internal/store/queries/*.sql.
generate:
	$(GO) run $(SQLC) generate

clean:
	rm -rf bin
