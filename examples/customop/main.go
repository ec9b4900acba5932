// Command customop is a complete example of the Go API for custom
// operations: it builds a registry with the built-in operations and one of
// its own, text.count, and runs a playbook that uses it through the run
// service, as arsenal-run's own command line does. Run it from the
// repository's root:
//
//	go run ./examples/customop examples/customop/count.yaml
//
// docs/extending.md explains each part, and the other route: operations
// as external executables (plugins) that need no Go at all.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// Count is the text.count operation: it counts the lines and words of a
// text, and the lines that contain a word. It implements ops.Op (Execute)
// and, optionally, ops.ParamValidator for a check the schema cannot
// express.
type Count struct{}

var (
	_ ops.Op             = Count{}
	_ ops.ParamValidator = Count{}
)

// CountSpec describes text.count: its name (category.verb), risk,
// parameters and output. The registry checks params against it before
// Execute is called, at validate time for literal values and at run time
// for all of them.
func CountSpec() ops.Spec {
	return ops.Spec{
		Name:        "text.count",
		Description: "Count the lines and words of a text, and the lines that contain a word.",
		Risk:        ops.RiskRead,
		Params: []ops.Param{
			{Name: "text", Type: ops.TypeString, Required: true, MaxLen: 1 << 20, Description: "the text to count"},
			{Name: "word", Type: ops.TypeString, Description: "count the lines that contain this word"},
		},
		Output: []ops.Field{
			{Name: "lines", Type: "integer"},
			{Name: "words", Type: "integer"},
			{Name: "matches", Type: "integer", Description: "lines that contain word"},
		},
	}
}

// ValidateParams refuses a word with a space in it. final is false at load
// time, when values written as ${{ }} are not known yet (params.Known).
func (Count) ValidateParams(p ops.Params, final bool) error {
	if p.Known("word") && strings.ContainsAny(p.String("word"), " \t\n") {
		return &ops.ParamError{Param: "word", Msg: "must be a single word, without spaces"}
	}
	return nil
}

// Execute does the work. It must honour ctx and return plain data; an
// error carries a class (ops.Errorf) that decides retries and the step's
// status.
func (Count) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	text := p.String("text")
	if strings.TrimSpace(text) == "" {
		return nil, ops.Errorf(ops.ClassExecution, "the text is empty")
	}
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	matches := 0
	for _, l := range lines {
		if w := p.String("word"); w != "" && strings.Contains(l, w) {
			matches++
		}
	}
	ops.CallFrom(ctx).Log.Debug().Int("lines", len(lines)).Msg("counted")
	return map[string]any{"lines": len(lines), "words": len(strings.Fields(text)), "matches": matches}, nil
}

// newRegistry is the built-in operations, playbook.run and text.count.
func newRegistry() (*ops.Registry, error) {
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		return nil, err
	}
	if err := engine.RegisterPlaybookOp(engine.New(reg)); err != nil {
		return nil, err
	}
	if err := reg.Register(CountSpec(), Count{}); err != nil {
		return nil, err
	}
	return reg, nil
}

// run runs the playbook at path with its default inputs and returns the
// report. The run service does what `arsenal-run run` does: load and
// validate, authorize every step for the caller's roles, run, report.
func run(ctx context.Context, path string) (*report.Report, error) {
	reg, err := newRegistry()
	if err != nil {
		return nil, err
	}
	defer reg.Close()
	svc, err := runs.NewService(runs.Config{Registry: reg})
	if err != nil {
		return nil, err
	}
	defer svc.Close()
	mgr := runs.NewManager(svc, runs.Limits{})
	defer mgr.Shutdown(context.Background())
	h, err := mgr.Start(ctx, runs.Request{Path: path, Caller: runs.Caller{Roles: []string{"viewer"}, Name: "example"}})
	if err != nil {
		return nil, err // the playbook does not validate, or bad inputs
	}
	return h.Wait(ctx)
}

func main() {
	path := "examples/customop/count.yaml"
	if len(os.Args) > 1 {
		path = os.Args[1]
	}
	rep, err := run(context.Background(), path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	report.WriteText(os.Stdout, rep)
	if rep.Status != report.StatusSucceeded {
		os.Exit(1)
	}
}
