package console

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestNotificationFactSaysWhatTheTextReportSays: a notify entry's
// Notification fact on its card says what the text report's row says of
// it (report.NotificationUnsaid), once: for an email sent to part of its
// recipients with the run summary in place of its own text, whose error
// already says "sent to 1 of 2 recipients", the fact says the half the
// error does not. Before, it repeated the whole, recipients and all,
// above the error that said them.
func TestNotificationFactSaysWhatTheTextReportSays(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, map[string]string{"hello": "version: 1\nname: hello\nsteps:\n  - {id: a, op: control.noop}\n"})
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")

	some := &report.Notification{Sent: report.SentSome, Recipients: 1, Of: 2}
	someSummary := &report.Notification{Sent: report.SentSome, Summary: true, Recipients: 1, Of: 2}
	cases := []struct {
		n    *report.Notification
		said string
	}{
		{&report.Notification{Sent: report.SentNone}, ""},
		{&report.Notification{Sent: report.SentNone}, "webhook: 500: not sent"},
		{&report.Notification{Sent: report.SentAll, Summary: true}, ""},
		{&report.Notification{Sent: report.SentAll, Summary: true}, "the run summary was sent in place of what could not be computed: text"},
		{some, ""},
		{some, "notify.email: sent to 1 of 2 recipients; refused b@example.com: 550"},
		{someSummary, ""},
		{someSummary, "notify.email: sent to 1 of 2 recipients; refused b@example.com: 550; the run summary had stood in for what could not be computed: body"},
		{someSummary, "notify.email: sent to 1 of 2 recipients; refused b@example.com: 550"},
		{someSummary, "the run summary had stood in for what could not be computed: body"},
	}
	type jsCase struct {
		N    *report.Notification `json:"n"`
		Said string               `json:"said"`
	}
	js := make([]jsCase, len(cases))
	for i, c := range cases {
		js[i] = jsCase{c.n, c.said}
	}
	in, err := json.Marshal(js)
	if err != nil {
		t.Fatal(err)
	}
	got := eval[[]string](t, ctx, `import('/assets/js/step.js').then((m) => `+string(in)+`.map((c) => {
		const v = new m.StepView('mail', 'notify');
		v.update({ id: 'mail', section: 'notify', status: 'failed', op: 'notify.email', notification: c.n,
			error: c.said ? { class: 'execution', message: c.said } : undefined }, false);
		const dt = [...v.body.querySelectorAll('dl.facts dt')].find((e) => e.textContent === 'Notification');
		return dt ? dt.nextElementSibling.textContent : '';
	}))`)
	if len(got) != len(cases) {
		t.Fatalf("%d answers for %d cases: %q", len(got), len(cases), got)
	}
	for i, c := range cases {
		if want := report.NotificationUnsaid(c.n, c.said); got[i] != want {
			t.Errorf("%+v with error %q: the card's fact %q, the text report's %q", *c.n, c.said, got[i], want)
		}
		if strings.Contains(c.said, "sent to 1 of 2") && strings.Contains(got[i], "sent to 1 of 2") {
			t.Errorf("%+v with error %q: the fact %q repeats the recipients the error gives", *c.n, c.said, got[i])
		}
	}
}
