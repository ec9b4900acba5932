// Command arsenal-run runs playbooks: YAML files that chain operations as
// steps. See README.md and docs/cli.md.
package main

import (
	"os"

	"github.com/arsenal-run/arsenal-run/pkg/cli"
	"github.com/arsenal-run/arsenal-run/pkg/ops/shell"
)

func main() {
	// A sandboxed shell step re-executes this binary to set its limits
	// before the command starts; that process never returns from here.
	shell.MaybeRunSandboxHelper()
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
