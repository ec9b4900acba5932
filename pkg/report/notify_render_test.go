package report

import (
	"strings"
	"testing"
)

// notifyReport is a run that succeeded with three notify entries that did
// not go out as written: an email two of three recipients got, a webhook
// that sent the run summary in place of its own text, and one nobody got.
// With older set, the entries carry no notification, as in a report
// written before steps recorded it: it is read from status, reason and
// output.
func notifyReport(older bool) *Report {
	r := &Report{RunID: "r1", Status: StatusSucceeded, Playbook: Playbook{Name: "nightly"}, Steps: []Step{
		{ID: "mail", Op: "notify.email", Section: "notify", Status: StatusFailed, Attempts: 1,
			Error:        &Error{Class: "validation", Message: "notify.email: refused: bad@example.com: 550 no such user"},
			Output:       map[string]any{"recipients": float64(2), "refused": []any{"bad@example.com: 550 no such user"}},
			Notification: &Notification{Sent: SentSome, Recipients: 2, Of: 3}},
		{ID: "page", Op: "notify.webhook", Section: "notify", Status: StatusFailed, Attempts: 1, Reason: SummarySent,
			Error:        &Error{Class: "validation", Message: "text: cannot fetch stdout from <nil>"},
			Notification: &Notification{Sent: SentAll, Summary: true}},
		{ID: "down", Op: "notify.webhook", Section: "notify", Status: StatusFailed, Attempts: 1,
			Error:        &Error{Class: "execution", Message: "connection refused"},
			Notification: &Notification{Sent: SentNone}},
	}}
	if older {
		for i := range r.Steps {
			r.Steps[i].Notification = nil
		}
	}
	return r
}

// TestNotifyEntriesReadTheSameInEveryFormat: the HTML page, the Markdown
// summary and the text summary's rows say of each notify entry what its
// message reached, as the summary's first line does, for a report that
// records it and for an older one.
func TestNotifyEntriesReadTheSameInEveryFormat(t *testing.T) {
	for _, older := range []bool{false, true} {
		r := notifyReport(older)
		var html, md, text strings.Builder
		if err := WriteHTML(&html, r); err != nil {
			t.Fatal(err)
		}
		if err := WriteMarkdown(&md, r); err != nil {
			t.Fatal(err)
		}
		if err := WriteText(&text, r); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			"failed (sent to 2 of 3 recipients)",
			"<dt>Notification</dt><dd>sent to 2 of 3 recipients</dd>",
			"failed (sent with the run summary in place of its own text)",
			"<dt>Notification</dt><dd>sent with the run summary in place of its own text</dd>",
			"<dt>Notification</dt><dd>not sent</dd>",
			`<div class="meta notify">sent to part of their recipients: notify mail (2 of 3)</div>`,
		} {
			if !strings.Contains(html.String(), want) {
				t.Errorf("older %v: the HTML lacks %q", older, want)
			}
		}
		// The entry that sent the run summary says so once, as its
		// notification, not again as its reason.
		if strings.Contains(html.String(), "<dt>Reason</dt><dd>"+SummarySent) {
			t.Errorf("older %v: the HTML says the run summary was sent twice:\n%s", older, html.String())
		}
		for _, want := range []string{
			"> sent to part of their recipients: notify mail (2 of 3)\n",
			"> not sent: notify down (the run's result does not depend on it)\n",
			"| sent to 2 of 3 recipients; validation: notify.email: refused",
			"| sent with the run summary in place of its own text; validation: text:",
			"| not sent; execution: connection refused |",
			"**Notification**: sent to 2 of 3 recipients.",
		} {
			if !strings.Contains(md.String(), want) {
				t.Errorf("older %v: the Markdown lacks %q:\n%s", older, want, md.String())
			}
		}
		for _, want := range []string{"sent to 2 of 3 recipients; validation:", "not sent; execution: connection refused"} {
			if !strings.Contains(text.String(), want) {
				t.Errorf("older %v: the text summary's rows lack %q:\n%s", older, want, text.String())
			}
		}
	}
}

// TestJUnitTellsWhatANotifyEntryReached: a notify entry some recipients
// got, or that sent the run summary, stays a failure (it must be fixed)
// but its message says what went out, not a plain failure; one nobody got
// says not sent.
func TestJUnitTellsWhatANotifyEntryReached(t *testing.T) {
	for _, older := range []bool{false, true} {
		var b strings.Builder
		if err := WriteJUnit(&b, notifyReport(older)); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, want := range []string{
			`<failure message="sent to 2 of 3 recipients: notify.email: refused: bad@example.com: 550 no such user" type="validation">`,
			`<failure message="sent with the run summary in place of its own text: text: cannot fetch stdout from &lt;nil&gt;" type="validation">`,
			`<failure message="not sent: connection refused" type="execution">`,
			"notification: sent to 2 of 3 recipients\n",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("older %v: the JUnit lacks %q:\n%s", older, want, out)
			}
		}
	}
	// An email whose error already counts its recipients is not told
	// twice.
	r := notifyReport(false)
	r.Steps[0].Error.Message = "notify.email: sent to 2 of 3 recipients; refused: bad@example.com"
	var b strings.Builder
	if err := WriteJUnit(&b, r); err != nil {
		t.Fatal(err)
	}
	if want := `<failure message="notify.email: sent to 2 of 3 recipients; refused: bad@example.com"`; !strings.Contains(b.String(), want) {
		t.Errorf("the JUnit lacks %q:\n%s", want, b.String())
	}
}
