package notify

import (
	"strings"
	"testing"
)

// TestEmailBodyLineEndsAreCRLF: a lone CR in a body goes out as a line
// end, so "\r.\r\n" reaches the server as a dot-stuffed line, never as
// bytes a lenient server could take for the end of the data, with what
// follows as a second message. Before, it went out as it was.
func TestEmailBodyLineEndsAreCRLF(t *testing.T) {
	be := &smtpBackend{user: "ops", pass: "s3cret"}
	port := startSMTP(t, be, true, false)
	raw := mailParams(port, "starttls")
	raw["body"] = "x\r.\r\nMAIL FROM:<evil@example.com>\rlast"
	if _, err := execute(t, registry(t), "notify.email", raw); err != nil {
		t.Fatal(err)
	}
	if len(be.msgs) != 1 {
		t.Fatalf("the server got %d messages", len(be.msgs))
	}
	m := be.msgs[0].data
	if strings.Contains(strings.ReplaceAll(m, "\r\n", ""), "\r") || !strings.Contains(m, "x\r\n.\r\nMAIL FROM:<evil@example.com>\r\nlast\r\n") {
		t.Errorf("message:\n%q", m)
	}
}
