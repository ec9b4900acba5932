// Command gen writes playbook.schema.json, the JSON Schema (draft 2020-12)
// of the playbook format, from the operation registry and the format that
// pkg/steps reads. It is run by `go generate ./schema`; a test in this
// package fails when the committed file differs from what it produces.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
)

func main() {
	out := flag.String("o", "playbook.schema.json", "the file to write")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	reg, err := newRegistry()
	if err != nil {
		return err
	}
	b, err := Playbook(reg)
	if err != nil {
		return err
	}
	return os.WriteFile(out, b, 0o644)
}

// newRegistry returns the operations whose with: the schema describes.
func newRegistry() (*ops.Registry, error) {
	r := ops.NewRegistry()
	if err := builtin.Register(r, builtin.Options{}); err != nil {
		return nil, err
	}
	return r, engine.RegisterPlaybookOp(engine.New(r))
}
