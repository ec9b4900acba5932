package notify

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/internal/chaintoken"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestMessagesMaskTheRunsSecrets: a message quoting a step's output sends
// the run's secrets masked, in the encodings the report masks them in, as
// the report shows the same text. Before, a webhook got the token a
// command printed, and its base64, while the report showed ***.
func TestMessagesMaskTheRunsSecrets(t *testing.T) {
	const secret = "SUPERSECRETTOKEN1234567"
	b64 := base64.StdEncoding.EncodeToString([]byte(secret + "\n"))
	ctx := ops.WithCall(context.Background(), &ops.Call{Secrets: []string{secret}})
	invoke := func(name string, raw map[string]any) {
		t.Helper()
		e, err := registry(t).Get(name)
		if err != nil {
			t.Fatal(err)
		}
		p, err := e.Validate(raw, true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Invoke(ctx, p, chaintoken.New()); err != nil {
			t.Fatal(err)
		}
	}
	text := fmt.Sprintf("out=val=%s b64=%s", secret, b64)

	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	invoke("notify.webhook", map[string]any{"url": srv.URL + "/hook", "format": "json", "title": "t " + secret, "text": text,
		"fields": map[string]any{"token": secret}})
	body := fmt.Sprint(rc.bodies)
	if strings.Contains(body, secret) || strings.Contains(body, strings.TrimRight(b64, "=")) || !strings.Contains(body, "out=val=***") {
		t.Errorf("webhook body: %s", body)
	}

	be := &smtpBackend{user: "ops", pass: "s3cret"}
	port := startSMTP(t, be, true, false)
	raw := mailParams(port, "starttls")
	raw["subject"], raw["body"] = "failed: "+secret, text
	invoke("notify.email", raw)
	if len(be.msgs) != 1 {
		t.Fatalf("the server got %d messages", len(be.msgs))
	}
	if m := be.msgs[0].data; strings.Contains(m, secret) || strings.Contains(m, strings.TrimRight(b64, "=")) || !strings.Contains(m, "out=val=***") {
		t.Errorf("message:\n%s", m)
	}
}
