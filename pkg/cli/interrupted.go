package cli

import (
	"strings"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// interruptedShown is how many run ids the start-up line of interrupted
// runs names; the rest it counts, with the command that lists them all.
const interruptedShown = 10

// logInterrupted writes, at warn, the start-up line of the runs of earlier
// processes that svc marked interrupted (nothing when none): how many, the
// ids of the first interruptedShown in run_ids and in the message, the
// count of the others in more, and the history command that lists them
// all with why each was cut, so that whoever reads it can go to each run.
func logInterrupted(log zerolog.Logger, svc *runs.Service, spec store.Spec) {
	n := svc.Interrupted
	if n == 0 {
		return
	}
	list := "`" + program + " history --status interrupted " + stateArg(spec) + "`"
	msg := "marked " + plural(n, "run", "runs") + " of earlier processes interrupted: they ended before their runs did"
	ev := log.Warn().Int("runs", n)
	if ids := svc.InterruptedIDs; len(ids) > 0 {
		shown := ids[:min(len(ids), interruptedShown)]
		ev = ev.Strs("run_ids", shown)
		msg += "; " + strings.Join(shown, ", ")
		if more := n - len(shown); more > 0 {
			ev = ev.Int("more", more)
			msg += " and " + plural(more, "more", "more")
		}
	}
	ev.Msg(msg + "; " + list + " lists them")
}
