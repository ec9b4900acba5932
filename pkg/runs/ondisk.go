package runs

import (
	"os"
	"strconv"

	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// FileWarning says, when pb's file changed or is gone since pb was
// loaded, that a run of pb runs the text loaded then, and what to do:
// validate the file, then SIGHUP this process, which rereads its
// playbooks. It is "" while the file is as it was loaded, and for a
// playbook built without a file. A check is a stat: the file is hashed
// again only when it changed since its last check.
func (s *Service) FileWarning(pb *steps.Playbook) string {
	return s.fileDrift(pb, "this run runs it")
}

// FileNotice is FileWarning for a playbook rather than one of its runs:
// its runs run the text loaded then.
func (s *Service) FileNotice(pb *steps.Playbook) string {
	return s.fileDrift(pb, "its runs run it")
}

func (s *Service) fileDrift(pb *steps.Playbook, runs string) string {
	drift, err := s.disk.Check(pb)
	return driftMessage(pb, drift, err, runs)
}

// runFileWarning is FileWarning for req's run: from the verdict the
// request carries (Request.FileChecked), or from a check of its own.
func (s *Service) runFileWarning(req *Request, pb *steps.Playbook) string {
	if v := req.FileChecked; v != nil && pb == req.Playbook {
		return driftMessage(pb, v.Drift, v.Err, "this run runs it")
	}
	return s.FileWarning(pb)
}

// driftMessage says what drift, found with err, means for the runs of
// pb; "" for DriftNone.
func driftMessage(pb *steps.Playbook, drift steps.Drift, err error, runs string) string {
	if drift == steps.DriftNone {
		return "" // every run asks: it costs nothing more
	}
	hup := "kill -HUP " + strconv.Itoa(os.Getpid())
	switch drift {
	case steps.DriftChanged:
		return "the playbook's file " + pb.File + " changed since it was loaded, and " + runs + " as loaded: " +
			"an edit takes effect on SIGHUP only; check the file with `arsenal-run validate " + pb.File +
			"`, then load it with `" + hup + "`"
	case steps.DriftRemoved:
		return "the playbook's file " + pb.File + " was removed since it was loaded, and " + runs + " as loaded: " +
			"the playbook stays until SIGHUP; put the file back, or drop the playbook with `" + hup + "`"
	}
	msg := "the playbook's file " + pb.File + " cannot be read to tell whether it changed since it was loaded"
	if err != nil {
		msg += " (" + err.Error() + ")"
	}
	return msg + "; " + runs + " as loaded"
}
