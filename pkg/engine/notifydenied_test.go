package engine

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// deniedHook is a notify.webhook whose connection the caller's address
// rules refuse when it is dialled, as for a url computed by an expression.
func deniedHook(r *ops.Registry) {
	r.MustRegister(ops.Spec{Name: "notify.webhook", Risk: ops.RiskWrite, Params: []ops.Param{
		{Name: "url", Type: ops.TypeString, Required: true},
		{Name: "title", Type: ops.TypeString},
		{Name: "text", Type: ops.TypeString},
		{Name: "link", Type: ops.TypeString},
	}}, ops.Func(func(context.Context, ops.Params) (map[string]any, error) {
		return nil, ops.WithClass(ops.ClassAuthorization, errors.New("denied: connecting to evil.example: host evil.example is not in the allowed hosts"))
	}))
}

// TestNotifyDeniedWhenRunIsSaid: a notify entry denied when it runs
// leaves the run's status as it is, but is not silent: its step is
// denied, with nothing sent, the summary's first line lists it as not
// sent, and the log says so at error level.
func TestNotifyDeniedWhenRunIsSaid(t *testing.T) {
	var logs bytes.Buffer
	e := New(registry(t, newTestOps().register, deniedHook), WithLog(&logs, zerolog.InfoLevel))
	p := plan(t, e, header+`
steps:
  - {id: a, op: control.noop}
notify:
  - id: page
    on: [success]
    webhook: {url: "${{ 'https://evil.example/hook' }}"}
`)
	rep := mustRun(t, p, nil, WithRunID("r1"))
	if rep.Status != report.StatusSucceeded {
		t.Errorf("run %s; a notification does not change it", rep.Status)
	}
	s := stepOf(t, rep, "page")
	if s.Status != report.StatusDenied || s.Error == nil || s.Error.Class != string(ops.ClassAuthorization) {
		t.Errorf("step page: status %s, error %+v; want denied with the refusal", s.Status, s.Error)
	}
	if s.Notification == nil || s.Notification.Sent != report.SentNone {
		t.Errorf("step page: notification %+v, want sent none", s.Notification)
	}
	if notes := report.NotifyNotes(rep.Steps); !slices.ContainsFunc(notes, func(n string) bool { return strings.HasPrefix(n, "not sent: notify page") }) {
		t.Errorf("summary notes %q do not list page as not sent", notes)
	}
	if l := logs.String(); !strings.Contains(l, `"level":"error","run_id":"r1","step":"page","status":"denied"`) || !strings.Contains(l, `"message":"notification not sent"`) || !strings.Contains(l, `"status":"denied"`) {
		t.Errorf("the log does not say at error level that nothing was sent:\n%s", l)
	}
}
