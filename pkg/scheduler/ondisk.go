package scheduler

import (
	"os"
	"strconv"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// Nothing rereads a scheduled playbook's file between reloads: an edit,
// or a removal, takes effect on SIGHUP only. A run that starts from a
// file changed since it was loaded runs the text read then, which the
// person who just edited the file does not expect; its "run started"
// line is followed by a warning saying so and what to do. The check is
// steps.DiskCheck, which serve's runs use too.

// logDrift warns, after a run's "run started" line, that the run is of
// the playbook as loaded while its file on disk changed or is gone, and
// what to do: SIGHUP this process.
func logDrift(log *zerolog.Logger, pb *steps.Playbook, runID, slot string, drift steps.Drift, err error) {
	hup := "kill -HUP " + strconv.Itoa(os.Getpid())
	var msg string
	switch drift {
	case steps.DriftChanged:
		msg = "the playbook's file changed since it was loaded, and this run runs it as loaded: an edit takes effect on SIGHUP only; " +
			"check the file with `arsenal-run validate " + pb.File + "`, then load it with `" + hup + "`"
	case steps.DriftRemoved:
		msg = "the playbook's file was removed since it was loaded, and this run runs it as loaded: it stays scheduled until SIGHUP; " +
			"put the file back, or stop scheduling it with `" + hup + "` (a file named on the command line, not through its directory, needs a restart without it)"
	case steps.DriftUnreadable:
		msg = "the playbook's file cannot be read to tell whether it changed since it was loaded; this run runs it as loaded"
	default:
		return
	}
	ev := log.Warn()
	if err != nil {
		ev = ev.Err(err)
	}
	ev.Str("file", pb.File).Str("playbook", pb.Name).Str("run_id", runID).Str("slot", slot).Msg(msg)
}
