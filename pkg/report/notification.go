package report

import (
	"fmt"
	"strings"
)

// What a notify: entry's message reached (Notification.Sent).
const (
	SentAll  = "all"  // every recipient, or the endpoint, has it
	SentSome = "some" // some recipients have it, others were refused
	SentNone = "none" // nobody has it
)

// Notification is what a notify: entry that was to be sent did: whether
// its message went out, to everyone or to part of its recipients, and
// whether the run summary went in place of its own text. Its step's
// status says failed in every case but a clean send: the entry must be
// fixed, but a message some people have was sent.
type Notification struct {
	Sent string `json:"sent"`
	// Summary: the run summary went out in place of the entry's own
	// text, which could not be computed.
	Summary bool `json:"summary,omitempty"`
	// Recipients and Of are, when Sent is some, how many recipients got
	// the message of how many it was sent to.
	Recipients int `json:"recipients,omitempty"`
	Of         int `json:"of,omitempty"`
}

// NotificationOf is what the notify: entry s did; nil for another step
// or an entry skipped. A report written before steps recorded it is read
// from the step's status, reason and output.
func NotificationOf(s *Step) *Notification {
	if s.Section != "notify" || s.Status == StatusSkipped {
		return nil
	}
	if s.Notification != nil {
		return s.Notification
	}
	switch {
	case s.Status == StatusSucceeded:
		return &Notification{Sent: SentAll}
	case s.Reason == SummarySent:
		return &Notification{Sent: SentAll, Summary: true}
	}
	// notify.email's output counts the recipients it reached and lists
	// those refused.
	if out, ok := s.Output.(map[string]any); ok {
		sent, refused := count(out["recipients"]), out["refused"]
		if list, ok := refused.([]any); ok && sent > 0 && len(list) > 0 {
			return &Notification{Sent: SentSome, Recipients: sent, Of: sent + len(list)}
		}
	}
	return &Notification{Sent: SentNone}
}

// count reads a count from an output, as the engine or JSON left it.
func count(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		return int(n)
	}
	return 0
}

// NotificationText is, for people, what the notification n did: "not
// sent", "sent to 2 of 3 recipients", "sent with the run summary in place
// of its own text"; "" when it was sent as written.
func NotificationText(n *Notification) string {
	if n == nil {
		return ""
	}
	var what string
	switch n.Sent {
	case SentNone:
		return "not sent"
	case SentSome:
		what = fmt.Sprintf("sent to %d of %d recipients", n.Recipients, n.Of)
	default:
		if !n.Summary {
			return ""
		}
		what = "sent"
	}
	if n.Summary {
		what += " with the run summary in place of its own text"
	}
	return what
}

// notificationWord is what the notification n did, said of every entry
// that was to be sent: NotificationText, or "sent" when it went out as
// written; "" for nil.
func notificationWord(n *Notification) string {
	if n == nil {
		return ""
	}
	if what := NotificationText(n); what != "" {
		return what
	}
	return "sent"
}

// notificationNote is the head of the note of notify entry s's row: what
// its message reached when its failed status alone would not say it ("not
// sent", "sent to 2 of 3 recipients", "sent with the run summary …"); ""
// for another step, a clean send, or an error that already says it.
func notificationNote(s *Step) string {
	said := ""
	if s.Error != nil {
		said = s.Error.Message
	}
	return NotificationUnsaid(NotificationOf(s), said)
}

// NotificationUnsaid is NotificationText(n) less what said (a step's
// error) already says of it: "" when it says it all, and the half it
// does not say of a summary sent to some recipients, whose error names
// the recipients ("sent to 1 of 2 recipients; …") and the run summary
// that stood in: a row does not repeat them.
func NotificationUnsaid(n *Notification, said string) string {
	what := NotificationText(n)
	if what == "" || strings.Contains(said, what) {
		return ""
	}
	if n.Sent != SentSome || !n.Summary {
		return what
	}
	some := fmt.Sprintf("sent to %d of %d recipients", n.Recipients, n.Of)
	saidSome, saidSummary := strings.Contains(said, some), strings.Contains(said, "run summary")
	switch {
	case saidSome && saidSummary:
		return ""
	case saidSome:
		return "sent with the run summary in place of its own text"
	case saidSummary:
		return some
	}
	return what
}

// SummarySent is the reason of a notify: entry that failed because some of
// its message could not be computed, yet was sent with the run summary in
// its place.
const SummarySent = "sent with the run summary in place of what could not be computed"

// notices lists the notify: entries that did not go out as written, each
// once a group, in the order of the summary's first line: those nobody
// got (not sent), those some recipients got ("mail (2 of 3)"), and those
// sent with the run summary in place of their own text. A run's status
// does not count them.
func notices(steps []Step) (none, some, summary []string) {
	for i := range steps {
		n := NotificationOf(&steps[i])
		switch {
		case n == nil:
			continue
		case n.Sent == SentNone:
			none = append(none, steps[i].ID)
		case n.Sent == SentSome:
			some = append(some, fmt.Sprintf("%s (%d of %d)", steps[i].ID, n.Recipients, n.Of))
		}
		if n.Summary && n.Sent != SentNone {
			summary = append(summary, steps[i].ID)
		}
	}
	return none, some, summary
}

// NotifyNotes are the notes of the summary's first line on the notify:
// entries that did not go out as written; none when all did.
func NotifyNotes(steps []Step) []string {
	none, some, summary := notices(steps)
	var notes []string
	if len(none) > 0 {
		notes = append(notes, "not sent: notify "+strings.Join(none, ", ")+" (the run's result does not depend on it)")
	}
	if len(some) > 0 {
		notes = append(notes, "sent to part of their recipients: notify "+strings.Join(some, ", "))
	}
	if len(summary) > 0 {
		notes = append(notes, "sent the run summary for want of their own text: notify "+strings.Join(summary, ", "))
	}
	return notes
}
