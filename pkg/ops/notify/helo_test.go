package notify

import (
	"errors"
	"testing"
)

// TestEmailGreetsWithAQualifiedName: a relay that refuses an EHLO name
// neither fully qualified nor an address literal (Postfix's
// reject_non_fqdn_helo_hostname) takes the mail: the greeting is the
// machine's name when it is fully qualified, else the address literal of
// the connection's own end, never localhost.
func TestEmailGreetsWithAQualifiedName(t *testing.T) {
	for _, tc := range []struct {
		host string
		err  error
		want string
	}{
		{"runner-1.ops.example.com", nil, "runner-1.ops.example.com"},
		{"runner-1", nil, "[127.0.0.1]"},
		{"localhost", nil, "[127.0.0.1]"},
		{"", errors.New("no name"), "[127.0.0.1]"},
	} {
		t.Run(tc.host, func(t *testing.T) {
			old := hostname
			hostname = func() (string, error) { return tc.host, tc.err }
			t.Cleanup(func() { hostname = old })
			be := &smtpBackend{user: "ops", pass: "s3cret", strictHelo: true}
			port := startSMTP(t, be, true, false)
			if _, err := execute(t, registry(t), "notify.email", mailParams(port, "starttls")); err != nil {
				t.Fatalf("a strict relay refused the mail: %v", err)
			}
			if len(be.helo) == 0 || be.helo[0] != tc.want {
				t.Errorf("EHLO %q; want %q", be.helo, tc.want)
			}
		})
	}
}
