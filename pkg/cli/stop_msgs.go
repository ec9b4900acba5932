package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// The warnings of serve and schedule for a signal that comes while they
// stop: the same words from both, saying what the process waits for and
// for how long, so that an operator sending SIGTERM again knows whether
// to wait or to reach for SIGKILL.

// graceLeftMsg is the warning of sig, come since into a grace of grace:
// the runs still going are cancelled when it ends, in the time left.
func graceLeftMsg(sig os.Signal, grace, since time.Duration) string {
	left := grace - since
	when := "now"
	if left >= time.Second {
		when = "in " + short.Duration(left.Truncate(time.Second))
	} else if left > 0 {
		when = "in under a second"
	}
	return fmt.Sprintf("%s: already stopping; the runs still going are cancelled when the grace of %s ends, %s", signalName(sig), short.Duration(grace), when)
}

// handlersMsg is the warning of sig, come once who (serve, schedule)
// cancelled the runs still going: it waits for their handlers.
func handlersMsg(sig os.Signal, who string) string {
	return fmt.Sprintf("%s: already stopping; the runs still going were cancelled, and %s exits once their on_cancel and finally steps have ended (at most %s after the cancel, and the kill_grace of a shell.exec step then stopping)", signalName(sig), who, short.Duration(engine.DefaultHandlerBudget))
}
