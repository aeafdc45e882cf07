# Entry points of the project. The two that matter:
#   make run    the pipeline end to end on the embedded default
#   make test   every check: lint, unit tests, e2e on the offline test bed
# Both set everything up on a fresh machine (as root): apt packages, pinned
# tools (cached by version in $(FERRY_CACHE)), the test bed.

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -ec
.DEFAULT_GOAL := help

export FERRY_CACHE ?= $(HOME)/.cache/ferry
TESTBED := bin/testbed
# Debian packages the test bed needs on the host.
APT_PACKAGES := mmdebstrap docker-registry iproute2 util-linux tar ca-certificates

.PHONY: help deps testbed testbed-up testbed-down testbed-status testbed-clean \
	run test lint unit e2e develop bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

deps: ## install the host packages the test bed needs (apt, once)
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "deps: installing $$missing" >&2; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

testbed: ## build the test bed program
	@go build -o $(TESTBED) ./testbed

testbed-up: deps testbed ## build (cached) and start the offline test bed
	@$(TESTBED) up

testbed-down: testbed ## stop the test bed and remove its namespace and links
	@$(TESTBED) down

testbed-status: testbed ## show what the test bed runs and whether it answers
	@$(TESTBED) status

testbed-clean: testbed ## stop the test bed and delete its caches
	@$(TESTBED) clean

run: deps testbed ## run the pipeline end to end on the embedded default
	@scripts/run.sh

test: deps testbed ## lint, unit tests and e2e checks on the test bed (what CI runs)
	@scripts/test.sh

lint: ## gofmt and go vet (the Dagger module needs `make develop` first)
	@scripts/lint.sh

develop: testbed ## generate the Dagger module's SDK code (ci/internal) with the test bed's engine
	@eval "$$($(TESTBED) env)" && dagger develop

bench: ## print the benchmark figures
	@scripts/bench.sh
