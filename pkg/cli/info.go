package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/schema"
)

// version is set at build time:
//
//	go build -ldflags "-X github.com/arsenal-run/arsenal-run/pkg/cli.version=v1.2.3"
var version string

// Version returns the program's version: the one set at build time, else
// the main module's version recorded by the Go toolchain, else "dev".
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func versionCommand() *command {
	return &command{
		name:     "version",
		summary:  "print the version",
		synopsis: "version",
		help:     "Print the version of arsenal-run, and the Go release and platform it was\nbuilt for.",
		exits:    "0 printed; 2 bad usage.",
		run: func(e *env, args []string) int {
			fs := newFlags(e, versionCommand())
			pos, code, ok := fs.parse(args)
			if !ok {
				return code
			}
			if len(pos) > 0 {
				return fs.usageError("takes no arguments")
			}
			fmt.Fprintf(e.stdout, "%s %s (%s, %s/%s)\n", program, Version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return ExitOK
		},
	}
}

func schemaCommand() *command {
	return &command{
		name:     "schema",
		summary:  "print the JSON Schema of playbooks, reports, policies, inventories, keys files or validate --format json",
		synopsis: "schema " + strings.Join(schema.Names(), "|"),
		help: `Print a JSON Schema (draft 2020-12) to stdout. Editors use the playbook schema
for completion and checks, e.g. with the YAML language server:

  # yaml-language-server: $schema=playbook.schema.json

The loader checks more than a schema can (expressions, the step graph, operation
parameters), so run 'arsenal-run validate' as well.`,
		exits: "0 ok; 2 an unknown schema name.",
		run:   runSchema,
	}
}

func runSchema(e *env, args []string) int {
	fs := newFlags(e, schemaCommand())
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	names := schema.Names()
	if len(pos) != 1 {
		return fs.usageError("give one schema name: %s", strings.Join(names, ", "))
	}
	b, err := schema.Get(pos[0])
	if err != nil {
		return fs.usageError("unknown schema %q%s; known: %s", pos[0], suggest.DidYouMean(pos[0], names), strings.Join(names, ", "))
	}
	e.stdout.Write(b)
	if len(b) > 0 && b[len(b)-1] != '\n' {
		fmt.Fprintln(e.stdout)
	}
	return ExitOK
}
