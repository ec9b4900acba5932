package notify

import (
	"strings"
	"testing"
)

// TestEmailSubjectFromOutputIsOneLine: a subject that interpolates a
// command's output, which ends with a line break, is sent on one header
// line; line breaks inside it become spaces and add no header. Before,
// the step failed as a validation error ("could inject headers") at run
// time, and the alert was never sent.
func TestEmailSubjectFromOutputIsOneLine(t *testing.T) {
	for _, tc := range []struct{ subject, want string }{
		{"disk full on web1\n", "Subject: disk full on web1\r\n"},
		{"two\r\nBcc: x@example.com", "Subject: two Bcc: x@example.com\r\n"},
		{"a \n\n  b\r", "Subject: a b\r\n"},
	} {
		be := &smtpBackend{user: "ops", pass: "s3cret"}
		port := startSMTP(t, be, true, false)
		raw := mailParams(port, "starttls")
		raw["subject"] = tc.subject
		if _, err := execute(t, registry(t), "notify.email", raw); err != nil {
			t.Fatalf("subject %q: %v", tc.subject, err)
		}
		if len(be.msgs) != 1 {
			t.Fatalf("subject %q: the server got %d messages", tc.subject, len(be.msgs))
		}
		m := be.msgs[0]
		head, _, _ := strings.Cut(m.data, "\r\n\r\n")
		if !strings.Contains(head+"\r\n", tc.want) || strings.Contains(head, "\r\nBcc:") {
			t.Errorf("subject %q: headers:\n%s", tc.subject, head)
		}
		if strings.Join(m.to, ",") != "oncall@example.com,lead@example.com" {
			t.Errorf("subject %q: recipients %v", tc.subject, m.to)
		}
	}
}
