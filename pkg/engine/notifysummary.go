package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/exprsafe"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// summaryParams computes the parameters of a notify entry whose own could
// not be computed (perr): each message parameter (title, text, fields,
// link; subject, body) whose value fails is replaced by the run summary's,
// so that a message quoting a step that never ran (its output is null on
// the very failure it reports) still tells people how the run ended. The
// text or body then says so. It returns the parameters and the failures
// it stood in for, or perr when something else failed (the URL, the
// server, the recipients, a value of the wrong type) or the run is
// stopping.
func (r *run) summaryParams(n *node, env map[string]any, perr error) (ops.Params, []string, error) {
	s := n.step
	if s.Section != steps.SectionNotify || len(s.NotifySummary) == 0 || s.With == nil || s.With.Kind != steps.KindMap {
		return nil, nil, perr
	}
	if ctx, ok := env[exprsafe.ContextVar].(context.Context); ok && ctx.Err() != nil {
		return nil, nil, perr
	}
	m := make(map[string]any, len(s.With.Keys))
	var failed []string
	for i, k := range s.With.Keys {
		v, err := value(r.file, s.With.Items[i], env)
		if err != nil {
			sum := s.NotifySummary[k]
			if sum == nil {
				return nil, nil, perr
			}
			failed = append(failed, k+": "+err.Error())
			if v, err = value(r.file, sum, env); err != nil {
				return nil, nil, perr
			}
			if str, ok := v.(string); ok && (k == "text" || k == "body") {
				v = strings.TrimRight(str, "\n") + "\n\n" + fmt.Sprintf("(This is the run summary: the %s of notify entry %s could not be computed; the run's report says why.)", k, s.ID)
			}
		}
		m[k] = v
	}
	if len(failed) == 0 {
		return nil, nil, perr
	}
	p, err := s.Entry.Validate(m, true)
	if err != nil {
		return nil, nil, perr
	}
	return p, failed, nil
}

// summarySent is the error of a notify entry sent with the run summary in
// place of parameters that could not be computed.
type summarySent struct{ what string }

func (e *summarySent) Error() string {
	return "the run summary was sent in place of what could not be computed: " + e.what
}

// summaryErr is the error of a notify entry whose run summary stood in for
// parameters that failed: of class validation, since the entry must be
// fixed, once sent; after the send's own error when it failed too.
func summaryErr(failed []string, sendErr error) error {
	what := strings.Join(failed, "; ")
	if sendErr != nil {
		// %w keeps what the send did (ops.PartlySent) for the report.
		return ops.WithClass(ops.ClassOf(sendErr), &summaryStoodIn{fmt.Errorf("%w; the run summary had stood in for what could not be computed: %s", sendErr, what)})
	}
	return ops.WithClass(ops.ClassValidation, &summarySent{what})
}

// summaryStoodIn is the error of a notify entry whose run summary stood
// in for what could not be computed, and whose send failed too, in whole
// or in part.
type summaryStoodIn struct{ err error }

func (e *summaryStoodIn) Error() string { return e.err.Error() }
func (e *summaryStoodIn) Unwrap() error { return e.err }

// notificationOf is what a notify entry that ran, ending with err, did:
// sent to everyone, to some of its recipients (ops.PartlySent), or to
// nobody, and whether the run summary stood in for its text.
func notificationOf(err error) *report.Notification {
	_, summary := errors.AsType[*summarySent](err)
	_, stoodIn := errors.AsType[*summaryStoodIn](err)
	switch ps, partly := errors.AsType[*ops.PartlySent](err); {
	case err == nil || summary:
		return &report.Notification{Sent: report.SentAll, Summary: summary}
	case partly && ps.Sent > 0:
		return &report.Notification{Sent: report.SentSome, Summary: stoodIn, Recipients: ps.Sent, Of: ps.Of}
	}
	return &report.Notification{Sent: report.SentNone}
}
