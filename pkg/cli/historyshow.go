package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// historyShow serves `history show RUN_ID [--json]`: one run and its step
// rows from the store, including a run whose process died.
func historyShow(e *env, args []string) int {
	c := historyCommand()
	fs := newFlags(e, c)
	asJSON := fs.Bool("json", false, `print {"run": {...}, "steps": [...]}`)
	var sf stateFlags
	sf.addForReading(fs, readStateDirUsage)
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return fs.usageError("write it as 'history show RUN_ID'; 'history' lists the run ids")
	}
	spec, ok := sf.spec(fs, true)
	if !ok {
		return ExitUsage
	}
	store, ok := openStore(e, c, spec)
	if !ok {
		return ExitUsage
	}
	defer store.Close()
	ctx := context.Background()
	run, err := store.Get(ctx, pos[0])
	if errors.Is(err, history.ErrNotFound) {
		fmt.Fprintf(e.stderr, "%s history show: no run %q in this history; 'history' lists the run ids\n", program, pos[0])
		return ExitUsage
	}
	if err != nil {
		e.errorf("history: %v", err)
		return ExitFailed
	}
	rows, err := store.Steps(ctx, run.ID)
	if err != nil {
		e.errorf("history: %v", err)
		return ExitFailed
	}
	if err := history.WriteRun(e.stdout, run, rows, *asJSON); err != nil {
		return ExitFailed
	}
	return ExitOK
}
