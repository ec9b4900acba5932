package report

import "fmt"

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
