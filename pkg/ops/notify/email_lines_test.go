package notify

import (
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
)

// TestEmailLongLinesReachTheServer: a step's output on one long line in
// the body, a long subject in a language that needs encoding, and a long
// list of recipients go out in lines SMTP allows (998 bytes), and read
// back as they were given. Before, the message was sent with such lines
// as they were, and a server that holds to the limit refused it ("too
// long a line"): the notification was lost.
func TestEmailLongLinesReachTheServer(t *testing.T) {
	be := &smtpBackend{user: "ops", pass: "s3cret"}
	port := startSMTP(t, be, true, false)
	raw := mailParams(port, "starttls")
	body := "step build failed; its output:\n" + strings.Repeat("0123456789 ünïcode ", 300) + "\n.\nend"
	subject := strings.Repeat("Ночная задача не удалась ", 15)
	var to []any
	for i := range 90 {
		to = append(to, fmt.Sprintf("Oncall Person %d <oncall-%d@example.com>", i, i))
	}
	raw["body"], raw["subject"], raw["to"] = body, subject, to
	if _, err := execute(t, registry(t), "notify.email", raw); err != nil {
		t.Fatal(err)
	}
	if len(be.msgs) != 1 {
		t.Fatalf("the server got %d messages", len(be.msgs))
	}
	data := be.msgs[0].data
	for i, line := range strings.Split(data, "\r\n") {
		if len(line) > 998 {
			t.Errorf("line %d has %d bytes, over SMTP's 998", i+1, len(line))
		}
	}
	m, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil || got != subject {
		t.Errorf("subject reads %q (%v), want %q", got, err, subject)
	}
	list, err := m.Header.AddressList("To")
	if err != nil || len(list) != len(to) || list[89].Address != "oncall-89@example.com" || list[89].Name != "Oncall Person 89" {
		t.Errorf("To reads %d addresses (%v), want %d", len(list), err, len(to))
	}
	r := io.Reader(m.Body)
	if m.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
		r = quotedprintable.NewReader(r)
	}
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.ReplaceAll(body, "\n", "\r\n") + "\r\n"; string(got) != want {
		t.Errorf("body reads\n%q\nwant\n%q", got, want)
	}
}
