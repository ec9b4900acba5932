package notify

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestEmailSendsToTheAcceptedRecipients: one recipient refused at RCPT
// does not keep the mail from the others; the step then fails naming it
// and the server's answer, of class validation, which retry never repeats
// (a retry would send it again to everyone who has it). With every one
// refused nothing is sent.
func TestEmailSendsToTheAcceptedRecipients(t *testing.T) {
	be := &smtpBackend{user: "ops", pass: "s3cret", refuse: map[string]bool{"bad@example.com": true}}
	port := startSMTP(t, be, true, false)
	raw := mailParams(port, "starttls")
	raw["to"] = []any{"oncall@example.com", "bad@example.com"}
	out, err := execute(t, registry(t), "notify.email", raw)
	want := "sent to 2 of 3 recipients; refused: bad@example.com: 550 5.1.1 no such user"
	if err == nil || ops.ClassOf(err) != ops.ClassValidation || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v; want a validation error saying %q", err, want)
	}
	// The engine tells a mail some recipients got from one nobody got.
	if ps, ok := errors.AsType[*ops.PartlySent](err); !ok || ps.Sent != 2 || ps.Of != 3 {
		t.Errorf("error %#v; want it to say 2 of 3 recipients have the mail (ops.PartlySent)", err)
	}
	if out["recipients"] != 2 || !cmp.Equal(out["refused"], []any{"bad@example.com: 550 5.1.1 no such user"}) {
		t.Errorf("output %v", out)
	}
	if len(be.msgs) != 1 || strings.Join(be.msgs[0].to, ",") != "oncall@example.com,lead@example.com" {
		t.Fatalf("the server got %+v; want one message to the two accepted recipients", be.msgs)
	}

	raw["to"], raw["cc"] = []any{"bad@example.com"}, nil
	_, err = execute(t, registry(t), "notify.email", raw)
	if err == nil || !strings.Contains(err.Error(), "refused every recipient") || !strings.Contains(err.Error(), "bad@example.com: 550") {
		t.Errorf("every recipient refused: %v", err)
	}
	if len(be.msgs) != 1 {
		t.Errorf("a message with no accepted recipient was sent")
	}
}

// TestEmailDeferredRecipientsAreNotCalledWrong: a recipient the server
// refuses for now (451, greylisting) is not called a wrong address: the
// error says the refusal was temporary. Before, it said to fix or remove
// an address that was right.
func TestEmailDeferredRecipientsAreNotCalledWrong(t *testing.T) {
	be := &smtpBackend{user: "ops", pass: "s3cret", deferTo: map[string]bool{"later@example.com": true}}
	port := startSMTP(t, be, true, false)
	raw := mailParams(port, "starttls")
	raw["to"] = []any{"oncall@example.com", "later@example.com"}
	_, err := execute(t, registry(t), "notify.email", raw)
	if err == nil || !strings.Contains(err.Error(), "later@example.com: 451 4.7.1 greylisted") ||
		!strings.Contains(err.Error(), "temporary refusal") || strings.Contains(err.Error(), "fix or remove") {
		t.Errorf("one deferred: %v", err)
	}
	if len(be.msgs) != 1 {
		t.Errorf("the accepted recipients got %d messages, want 1", len(be.msgs))
	}

	raw["to"], raw["cc"] = []any{"later@example.com"}, nil
	_, err = execute(t, registry(t), "notify.email", raw)
	if err == nil || !strings.Contains(err.Error(), "refused every recipient") || !strings.Contains(err.Error(), "temporary refusal") {
		t.Errorf("every recipient deferred: %v", err)
	}

	be.refuse = map[string]bool{"bad@example.com": true}
	raw["to"] = []any{"later@example.com", "bad@example.com"}
	_, err = execute(t, registry(t), "notify.email", raw)
	if err == nil || strings.Contains(err.Error(), "temporary refusal") {
		t.Errorf("one deferred, one refused for good: %v; a wrong address must not be called temporary", err)
	}
}

// TestEmailNoTLSWithAUsernameIsRefusedAtValidation: tls: none with a
// username is refused when the playbook is validated, not after it
// connected at run time.
func TestEmailNoTLSWithAUsernameIsRefusedAtValidation(t *testing.T) {
	e, _ := registry(t).Get("notify.email")
	_, err := e.Validate(mailParams(25, "none"), false)
	if err == nil || !strings.Contains(err.Error(), "param tls:") || !strings.Contains(err.Error(), "starttls") {
		t.Errorf("got %v; want tls refused, saying to use starttls", err)
	}
	raw := mailParams(25, "none")
	delete(raw, "username")
	delete(raw, "password")
	if _, err := e.Validate(raw, false); err != nil {
		t.Errorf("tls: none without a login: %v", err)
	}
}
