package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// partMailer is a notify.email whose server refuses every address at
// bad.example, as a real one refuses an address it does not know: the
// others get the mail.
func partMailer(r *ops.Registry) {
	r.MustRegister(ops.Spec{Name: "notify.email", Risk: ops.RiskWrite, Params: []ops.Param{
		{Name: "host", Type: ops.TypeString, Required: true},
		{Name: "from", Type: ops.TypeString, Required: true},
		{Name: "to", Type: ops.TypeList, Items: ops.TypeString, Required: true},
		{Name: "subject", Type: ops.TypeString, Required: true},
		{Name: "body", Type: ops.TypeString, Required: true},
	}}, ops.Func(func(_ context.Context, p ops.Params) (map[string]any, error) {
		to := p.Strings("to")
		var refused []any
		for _, a := range to {
			if strings.HasSuffix(a, "@bad.example") {
				refused = append(refused, a+": 550 no such user")
			}
		}
		sent := len(to) - len(refused)
		out := map[string]any{"recipients": sent, "refused": refused}
		switch {
		case sent == 0:
			return out, ops.Errorf(ops.ClassExecution, "the server refused every recipient")
		case len(refused) > 0:
			return out, ops.WithClass(ops.ClassValidation, &ops.PartlySent{Sent: sent, Of: len(to), Err: fmt.Errorf("sent to %d of %d recipients", sent, len(to))})
		}
		return out, nil
	}))
}

// TestNotifyReportsWhoGotTheMessage: each notify entry's step says who
// got its message: everyone, part of its recipients (how many of how
// many), or nobody, and whether the run summary went in place of its
// text; the summary's first line lists an email two of three recipients
// got as sent to part of them. Before, it said "not sent" of it, which
// was false for the two who had it.
func TestNotifyReportsWhoGotTheMessage(t *testing.T) {
	e := New(registry(t, newTestOps().register, partMailer))
	p := plan(t, e, header+`
steps:
  - {id: a, op: control.noop}
notify:
  - id: all
    on: [success]
    email: {host: mx, from: ops@example.com, to: [a@example.com]}
  - id: part
    on: [success]
    email: {host: mx, from: ops@example.com, to: [a@example.com, x@bad.example, c@example.com]}
  - id: part_summary
    on: [success]
    email: {host: mx, from: ops@example.com, to: [a@example.com, x@bad.example], body: "${{ steps.a.output.missing.x }}"}
  - id: nobody
    on: [success]
    email: {host: mx, from: ops@example.com, to: [x@bad.example]}
  - id: later
    on: [failure]
    email: {host: mx, from: ops@example.com, to: [a@example.com]}
`)
	rep := mustRun(t, p, nil, WithRunID("r1"))
	if rep.Status != report.StatusSucceeded {
		t.Errorf("run %s; the notifications do not change it", rep.Status)
	}
	for id, want := range map[string]*report.Notification{
		"all":          {Sent: report.SentAll},
		"part":         {Sent: report.SentSome, Recipients: 2, Of: 3},
		"part_summary": {Sent: report.SentSome, Summary: true, Recipients: 1, Of: 2},
		"nobody":       {Sent: report.SentNone},
		"later":        nil,
	} {
		if got := stepOf(t, rep, id).Notification; !cmp.Equal(got, want) {
			t.Errorf("%s: notification %+v, want %+v", id, got, want)
		}
	}
	// The reason says the summary went out whether everyone or some of
	// the recipients got it; before, a partial send's reason was empty.
	if got := stepOf(t, rep, "part_summary").Reason; got != report.SummarySent {
		t.Errorf("part_summary: reason %q, want %q", got, report.SummarySent)
	}
	if got := stepOf(t, rep, "part").Reason; got != "" {
		t.Errorf("part: reason %q, want none", got)
	}
	var b strings.Builder
	if err := report.WriteText(&b, rep); err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(b.String(), "\n")
	want := "; not sent: notify nobody (the run's result does not depend on it); sent to part of their recipients: notify part (2 of 3), part_summary (1 of 2); sent the run summary for want of their own text: notify part_summary"
	if !strings.HasSuffix(first, want) {
		t.Errorf("first line %q\nwant it to end %q", first, want)
	}
}
