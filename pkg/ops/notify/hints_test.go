package notify

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestWebhookFailuresNameTheParamAndTheFix: a webhook that could not be
// reached, or answered with an error status, fails with an error that
// names the param to look at and what to do, not the transport's words
// alone.
func TestWebhookFailuresNameTheParamAndTheFix(t *testing.T) {
	closed := httptest.NewServer(nil)
	closedURL := closed.URL
	closed.Close()
	status := func(code int) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(code)
			fmt.Fprint(w, "no_service")
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	hang, release := silentServer(t)
	defer hang.Close()
	defer close(release)
	for _, tc := range []struct {
		name, url, timeout string
		class              ops.Class
		want               []string
	}{
		{"refused", closedURL + "/T0/B0/tok", "", ops.ClassExecution,
			[]string{"nothing listens on " + strings.TrimPrefix(closedURL, "http://"), "check the host and port in param url"}},
		{"gone", status(http.StatusNotFound) + "/T0/B0/tok", "", ops.ClassExecution,
			[]string{"answered 404 Not Found: no_service", "no webhook at param url", "check the secret it comes from"}},
		{"revoked", status(http.StatusForbidden) + "/T0/B0/tok", "", ops.ClassExecution,
			[]string{"answered 403 Forbidden", "make a new webhook and put its URL in the secret param url comes from"}},
		{"shape", status(http.StatusBadRequest) + "/T0/B0/tok", "", ops.ClassExecution,
			[]string{"answered 400 Bad Request", "check that param format (slack, teams or json) is the one it takes"}},
		{"down", status(http.StatusBadGateway) + "/T0/B0/tok", "", ops.ClassExecution,
			[]string{"answered 502 Bad Gateway", "try again later, or give the step a retry:"}},
		{"silent", hang.URL + "/T0/B0/tok", "200ms", ops.ClassTimeout,
			[]string{"no answer within 200ms (param timeout): check that the endpoint of param url answers, or raise timeout"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := map[string]any{"url": tc.url, "text": "x"}
			if tc.timeout != "" {
				raw["timeout"] = tc.timeout
			}
			_, err := execute(t, registry(t), "notify.webhook", raw)
			if err == nil || ops.ClassOf(err) != tc.class {
				t.Fatalf("got %v; want a %s error", err, tc.class)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the error lacks %q: %v", w, err)
				}
			}
			if strings.Contains(err.Error(), "tok") {
				t.Errorf("the error shows the webhook's path: %v", err)
			}
		})
	}
}

// TestWebhookCancelledRunIsNotToldToRaiseTimeout: the advice to raise
// timeout is for the operation's own timeout, not for a run cancelled
// while the endpoint was silent.
func TestWebhookCancelledRunIsNotToldToRaiseTimeout(t *testing.T) {
	hang, release := silentServer(t)
	defer hang.Close()
	defer close(release)
	e, _ := registry(t).Get("notify.webhook")
	p, err := e.Validate(map[string]any{"url": hang.URL, "text": "x"}, true)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err = (&Webhook{}).Execute(ctx, p)
	if err == nil || strings.Contains(err.Error(), "raise timeout") {
		t.Errorf("got %v; want no advice to raise the operation's timeout", err)
	}
}

// silentServer is an endpoint that never answers until release is
// closed, which the caller does before closing the server.
func silentServer(t *testing.T) (*httptest.Server, chan struct{}) {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	return srv, release
}

// TestEmailFailuresNameTheParamAndTheFix: a mail server that refuses the
// login or the sender, or an address where none listens, fails the step
// with an error naming the params to check.
func TestEmailFailuresNameTheParamAndTheFix(t *testing.T) {
	t.Run("login", func(t *testing.T) {
		port := startSMTP(t, &smtpBackend{user: "ops", pass: "other"}, true, false)
		_, err := execute(t, registry(t), "notify.email", mailParams(port, "starttls"))
		if err == nil || !strings.Contains(err.Error(), "the server refused the login (535): check params username and password") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("sender", func(t *testing.T) {
		port := startSMTP(t, &smtpBackend{user: "ops", pass: "s3cret", refuseFrom: "ops@example.com"}, true, false)
		_, err := execute(t, registry(t), "notify.email", mailParams(port, "starttls"))
		if err == nil || !strings.Contains(err.Error(), "the server refused the sender (553): param from must be") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		_, err = execute(t, registry(t), "notify.email", mailParams(port, "starttls"))
		want := fmt.Sprintf("nothing listens on 127.0.0.1:%d: check params host and port", port)
		if err == nil || ops.ClassOf(err) != ops.ClassExecution || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v; want an execution error saying %q", err, want)
		}
	})
}

// TestDialHintOfAnUnknownHost: a host that does not resolve is named,
// with the param it came from.
func TestDialHintOfAnUnknownHost(t *testing.T) {
	err := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "hooks.exmaple.com", IsNotFound: true}}
	got := dialHint(fmt.Errorf("Post: %w", err), "the host in param url", "the host and port in param url")
	want := "; host hooks.exmaple.com does not resolve: check the host in param url, and the input or variable it comes from"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
