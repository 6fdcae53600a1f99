# The targets people expect; `make help` lists them.
GO        ?= go
BIN       ?= collector
FUZZTIME  ?= 30s
LINT      := bin/golangci-lint

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  %-17s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build ./collector with the flags the Dockerfile uses (scripts/build.sh)
	scripts/build.sh $(BIN)

.PHONY: test
test: ## run the tests, the README's command, then the deploy/ module's (promtool, amtool, a real Prometheus)
	$(GO) test -race ./...
	$(GO) test -count=1 -run TestAYearUnderASimulatedClock ./engine/
	cd deploy && $(GO) test -race ./...

.PHONY: e2e
e2e: ## run the end-to-end tests: the binary against fakes, then the stack with Prometheus and Alertmanager
	$(GO) test -race -count=1 ./e2e/...
	cd deploy && $(GO) test -count=1 -run 'TestStackEndToEnd|TestWithTheRealTools' ./...

$(LINT): tools/go.mod tools/go.sum
	cd tools && $(GO) build -o ../$(LINT) github.com/golangci/golangci-lint/v2/cmd/golangci-lint

.PHONY: lint
lint: $(LINT) ## golangci-lint (pinned in tools/go.mod) with .golangci.yml, both modules
	$(LINT) run ./...
	cd deploy && ../$(LINT) run --config ../.golangci.yml ./...

.PHONY: fuzz
fuzz: ## run every fuzz target for FUZZTIME each (default 30s)
	@for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "--- $$pkg $$target"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

.PHONY: bench
bench: ## run the benchmarks of BENCHMARKS.md (about 10 minutes; BENCH=regexp picks some)
	$(GO) test -run '^$$' -bench '$(or $(BENCH),.)' -benchtime 3x -timeout 30m ./bench

.PHONY: generate
generate: ## regenerate dashboards and the PrometheusRule, then fail if the tree changed
	$(GO) generate ./...
	cd deploy && $(GO) generate ./...
	@git diff --exit-code || (echo "generated files are out of date: commit the output of make generate"; exit 1)

.PHONY: release-snapshot
release-snapshot: ## a local release with goreleaser, nothing published
	$(GO) run github.com/goreleaser/goreleaser/v2@v2.15.1 release --snapshot --clean

.PHONY: clean
clean: ## remove what the build left
	rm -rf $(BIN) bin/ dist/
