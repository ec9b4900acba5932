# Developer and CI entry points. `make test` is what .ci/run runs.

GO       ?= go
FUZZINPUTS ?= 15000
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/arsenal-run/arsenal-run/pkg/cli.version=$(VERSION)

# The fuzz targets of pkg/steps run on FUZZINPUTS inputs each in `make test`
# (about 10 s here): a number of inputs, not a duration, for Go 1.26's fuzzing
# may fail a duration's end as "context deadline exceeded" with no failing
# input (go.dev/issue/75804, mended in Go 1.27).
FUZZ_TARGETS := FuzzLoad FuzzCompileExpression

.PHONY: test tidy vet race fuzz validate build install bench bench-e2e fmt lint clean screenshots

## test: go.mod tidy, vet, race-enabled tests, a short fuzz pass, and validate the example playbooks
test: tidy vet race fuzz validate

# go.mod and go.sum must be what `go mod tidy` makes of them: a dependency
# marked `// indirect` that the code imports, or one no longer used, fails.
tidy:
	@$(GO) mod tidy -diff || { echo "go.mod or go.sum is not tidy: run 'go mod tidy' and commit the result"; exit 1; }

vet:
	$(GO) vet ./...

# The race detector needs cgo, and cgo a C compiler (`go env CC`, gcc by
# default). A machine with Go alone has none: there the tests run without
# the race detector, with a note, rather than `make test` failing to build
# runtime/cgo; under CI ($CI or $ARSENAL_CI set) that is an error, so the
# race detector is never dropped there in silence. A package's tests may
# take longer than go test's default 10 minutes on a loaded 2-core machine
# (the console's browser tests, over a hundred, drive one shared Chromium);
# 30 minutes still stops a hang well inside CI's limit.
CC_FOUND := $(shell cc="$$($(GO) env CC 2>/dev/null)"; command -v "$${cc%% *}" >/dev/null 2>&1 && echo yes)

race:
	@command -v chromium >/dev/null 2>&1 || echo "note: chromium is not installed: the browser tests of the HTML report and the console are skipped"
	@command -v xmllint >/dev/null 2>&1 || echo "note: xmllint is not installed: the JUnit XSD check is skipped"
	@command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || echo "note: PostgreSQL is not installed: the PostgreSQL store tests are skipped (under CI they fail)"
ifeq ($(CC_FOUND),yes)
	CGO_ENABLED=1 $(GO) test -race -timeout 30m ./...
else
	@if [ -n "$$CI$$ARSENAL_CI" ]; then echo "no C compiler ($$($(GO) env CC)) for the race detector, which CI runs: install one (Debian: gcc libc6-dev)"; exit 1; fi
	@echo "note: no C compiler ($$($(GO) env CC)): the tests run without the race detector; install one (Debian: gcc libc6-dev) for it"
	CGO_ENABLED=0 $(GO) test -timeout 30m ./...
endif

# A target that does not exist (yet) is skipped with a message.
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		if $(GO) test -list "^$$t$$" ./pkg/steps/ | grep -qx "$$t"; then \
			echo "fuzz $$t on $(FUZZINPUTS) inputs"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZINPUTS)x -fuzzminimizetime 500x ./pkg/steps/; \
		else \
			echo "fuzz $$t: no such fuzz target in ./pkg/steps; skipped"; \
		fi; \
	done

validate:
	$(GO) run ./cmd/arsenal-run validate playbooks/*.yaml

## build: a static binary in bin/arsenal-run
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w $(LDFLAGS)" -o bin/arsenal-run ./cmd/arsenal-run

## install: build arsenal-run and put it in $(go env GOBIN), else $(go env GOPATH)/bin
install:
	CGO_ENABLED=0 $(GO) install -trimpath -ldflags "-s -w $(LDFLAGS)" ./cmd/arsenal-run
	@dir="$$($(GO) env GOBIN)"; [ -n "$$dir" ] || dir="$$($(GO) env GOPATH)/bin"; \
	echo "installed $$dir/arsenal-run"; \
	case ":$$PATH:" in *":$$dir:"*) ;; *) echo "note: $$dir is not on your PATH; add it, e.g. export PATH=\"$$dir:\$$PATH\"";; esac

## bench: the Go benchmarks of every package
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## bench-e2e: arsenal-run against the shell doing the same work (needs hyperfine)
bench-e2e:
	bench/e2e.sh

## screenshots: the console's pages at desktop and phone widths, in headless Chromium, into docs/images/
screenshots:
	@command -v chromium >/dev/null 2>&1 || { echo "screenshots need chromium: install the Debian package chromium"; exit 1; }
	mkdir -p docs/images
	$(GO) test ./pkg/console -run '^TestConsoleLayout$$' -count=1 -v -args -screenshots $(CURDIR)/docs/images

fmt:
	gofmt -w .

lint:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt -l: these files need gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

clean:
	rm -rf bin
