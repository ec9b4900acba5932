package notify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/internal/chaintoken"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

func registry(t *testing.T) *ops.Registry {
	t.Helper()
	r := ops.NewRegistry()
	if err := Register(r); err != nil {
		t.Fatal(err)
	}
	return r
}

// execute validates raw params like a run does and calls the op.
func execute(t *testing.T, r *ops.Registry, name string, raw map[string]any) (map[string]any, error) {
	t.Helper()
	e, err := r.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Validate(raw, true)
	if err != nil {
		return nil, ops.WithClass(ops.ClassValidation, err)
	}
	return e.Invoke(context.Background(), p, chaintoken.New())
}

// receiver is a webhook endpoint that records what it was sent.
type receiver struct {
	mu     sync.Mutex
	bodies []map[string]any
	status int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var v map[string]any
	if r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "want JSON", http.StatusUnsupportedMediaType)
		return
	}
	if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.bodies = append(rc.bodies, v)
	status := rc.status
	rc.mu.Unlock()
	if status != 0 {
		w.WriteHeader(status)
		io.WriteString(w, "no_service")
		return
	}
	io.WriteString(w, "ok")
}

func TestWebhookFormats(t *testing.T) {
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	r := registry(t)
	base := map[string]any{"url": srv.URL + "/hook", "title": "nightly", "text": "disk <@channel> 91% full",
		"fields": map[string]any{"host": "db-1", "used": 91}, "link": "https://ops.example/runs/1"}
	for _, format := range []string{"slack", "teams", "json"} {
		raw := map[string]any{"format": format}
		for k, v := range base {
			raw[k] = v
		}
		out, err := execute(t, r, "notify.webhook", raw)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if out["status"] != 200 {
			t.Errorf("%s: status %v", format, out["status"])
		}
	}
	if len(rc.bodies) != 3 {
		t.Fatalf("the receiver got %d bodies, want 3", len(rc.bodies))
	}
	enc := func(v any) string {
		var b strings.Builder
		e := json.NewEncoder(&b)
		e.SetEscapeHTML(false)
		e.Encode(v)
		return b.String()
	}
	slack := enc(rc.bodies[0])
	if strings.Contains(slack, "<@channel>") || !strings.Contains(slack, `&lt;@channel&gt;`) || !strings.Contains(slack, `"type":"header"`) || !strings.Contains(slack, `*host*\ndb-1`) {
		t.Errorf("slack body: %s", slack)
	}
	teams := enc(rc.bodies[1])
	for _, want := range []string{`"AdaptiveCard"`, `"FactSet"`, `{"title":"used","value":"91"}`, `"Action.OpenUrl"`} {
		if !strings.Contains(teams, want) {
			t.Errorf("teams body lacks %s: %s", want, teams)
		}
	}
	want := map[string]any{"title": "nightly", "text": "disk <@channel> 91% full", "link": "https://ops.example/runs/1",
		"fields": map[string]any{"host": "db-1", "used": "91"}}
	if diff := cmp.Diff(want, rc.bodies[2]); diff != "" {
		t.Errorf("json body (-want +got):\n%s", diff)
	}
}

func TestWebhookFailsOnErrorStatusAndMasksTheURL(t *testing.T) {
	rc := &receiver{status: http.StatusServiceUnavailable}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	r := registry(t)
	out, err := execute(t, r, "notify.webhook", map[string]any{"url": srv.URL + "/T000/B000/secret-token", "text": "x"})
	if err == nil || ops.ClassOf(err) != ops.ClassExecution || out["status"] != 503 {
		t.Fatalf("got %v, %v; want an execution error with status 503", out, err)
	}
	srv.Close()
	_, err = execute(t, r, "notify.webhook", map[string]any{"url": srv.URL + "/T000/B000/secret-token", "text": "x"})
	if err == nil || strings.Contains(err.Error(), "secret-token") {
		t.Errorf("a refused connection gave %v; the error must not show the webhook URL's path", err)
	}
}

func TestWebhookDoesNotFollowRedirects(t *testing.T) {
	rc := &receiver{}
	target := httptest.NewServer(rc)
	defer target.Close()
	redirect := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	defer redirect.Close()
	out, err := execute(t, registry(t), "notify.webhook", map[string]any{"url": redirect.URL, "text": "x"})
	if err == nil || out["status"] != http.StatusTemporaryRedirect || len(rc.bodies) != 0 {
		t.Errorf("got %v, %v and %d deliveries; want the redirect refused and nothing sent on", out, err, len(rc.bodies))
	}
}

func TestWebhookValidatesParams(t *testing.T) {
	e, _ := registry(t).Get("notify.webhook")
	_, err := e.Validate(map[string]any{"url": "https://hooks.example.com/x", "text": "x", "format": "discord"}, true)
	var pes ops.ParamErrors
	if !errors.As(err, &pes) {
		t.Fatalf("got %v", err)
	}
	var params []string
	for _, pe := range pes {
		params = append(params, pe.Param)
	}
	if diff := cmp.Diff([]string{"format"}, params); diff != "" {
		t.Errorf("params with errors (-want +got):\n%s\n%v", diff, err)
	}
	if _, err := e.Validate(map[string]any{"url": "ftp://x", "text": "x"}, true); err == nil || !strings.Contains(err.Error(), "https://") {
		t.Errorf("ftp URL: %v", err)
	}
}

// smtpBackend records the messages a real SMTP server receives.
type smtpBackend struct {
	mu   sync.Mutex
	msgs []smtpMsg
	user string
	pass string
	// refuse are the recipients the server answers 550 at RCPT.
	refuse map[string]bool
	// deferTo are the recipients the server answers 451 at RCPT, a
	// temporary refusal (greylisting).
	deferTo map[string]bool
	// helo are the names clients greeted with (EHLO); strictHelo refuses
	// those neither fully qualified nor an address literal, as Postfix's
	// reject_non_fqdn_helo_hostname does.
	helo       []string
	strictHelo bool
	// refuseFrom is a sender the server answers 553 at MAIL FROM.
	refuseFrom string
}

type smtpMsg struct {
	from string
	to   []string
	data string
	auth string
}

func (b *smtpBackend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	name := c.Hostname()
	b.mu.Lock()
	b.helo = append(b.helo, name)
	b.mu.Unlock()
	if b.strictHelo && !strings.HasPrefix(name, "[") && !strings.Contains(name, ".") {
		return nil, &smtp.SMTPError{Code: 504, EnhancedCode: smtp.EnhancedCode{5, 5, 2}, Message: "<" + name + ">: Helo command rejected: need fully-qualified hostname"}
	}
	return &smtpSession{b: b}, nil
}

type smtpSession struct {
	b   *smtpBackend
	msg smtpMsg
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.b.user || pass != s.b.pass {
			// As Postfix answers a wrong password.
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Error: authentication failed"}
		}
		s.msg.auth = user
		return nil
	}), nil
}
func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if from == s.b.refuseFrom {
		return &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "sender address rejected: not owned by user"}
	}
	s.msg.from = from
	return nil
}
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.b.refuse[to] {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	if s.b.deferTo[to] {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "greylisted, try again later"}
	}
	s.msg.to = append(s.msg.to, to)
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.msg.data = string(data)
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, s.msg)
	s.b.mu.Unlock()
	return nil
}
func (s *smtpSession) Reset()        { s.msg = smtpMsg{auth: s.msg.auth} }
func (s *smtpSession) Logout() error { return nil }

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// startSMTP serves be on a loopback port; implicit serves TLS from the
// first byte, else STARTTLS is offered when withTLS.
func startSMTP(t *testing.T, be *smtpBackend, withTLS, implicit bool) int {
	t.Helper()
	s := smtp.NewServer(be)
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	var l net.Listener
	var err error
	if withTLS {
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}
	}
	if implicit {
		l, err = tls.Listen("tcp", "127.0.0.1:0", s.TLSConfig)
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

func mailParams(port int, mode string) map[string]any {
	return map[string]any{
		"host": "127.0.0.1", "port": port, "tls": mode, "insecure_skip_verify": true,
		"username": "ops", "password": "s3cret",
		"from": "Ops <ops@example.com>", "to": []any{"oncall@example.com"}, "cc": []any{"lead@example.com"},
		"subject": "Nightly job failed: ünïcode", "body": "step rotate failed\n.\nsee the report",
	}
}

func TestEmailOverStartTLSAndImplicitTLS(t *testing.T) {
	for _, tc := range []struct {
		mode     string
		implicit bool
	}{{"starttls", false}, {"implicit", true}} {
		t.Run(tc.mode, func(t *testing.T) {
			be := &smtpBackend{user: "ops", pass: "s3cret"}
			port := startSMTP(t, be, true, tc.implicit)
			out, err := execute(t, registry(t), "notify.email", mailParams(port, tc.mode))
			if err != nil {
				t.Fatal(err)
			}
			if out["recipients"] != 2 || !strings.HasSuffix(out["message_id"].(string), "@example.com>") {
				t.Errorf("output %v", out)
			}
			if len(be.msgs) != 1 {
				t.Fatalf("the server got %d messages", len(be.msgs))
			}
			m := be.msgs[0]
			if m.auth != "ops" || m.from != "ops@example.com" || strings.Join(m.to, ",") != "oncall@example.com,lead@example.com" {
				t.Errorf("envelope %+v", m)
			}
			for _, want := range []string{"Subject: =?utf-8?q?Nightly_job_failed:_=C3=BCn=C3=AFcode?=", "Cc: <lead@example.com>", "step rotate failed\r\n.\r\nsee the report"} {
				if !strings.Contains(m.data, want) {
					t.Errorf("message lacks %q:\n%s", want, m.data)
				}
			}
		})
	}
}

func TestEmailRefusesPasswordsWithoutTLS(t *testing.T) {
	be := &smtpBackend{user: "ops", pass: "s3cret"}
	port := startSMTP(t, be, false, false)
	_, err := execute(t, registry(t), "notify.email", mailParams(port, "starttls"))
	if err == nil || !strings.Contains(err.Error(), "does not offer STARTTLS") {
		t.Errorf("starttls against a plain server: %v", err)
	}
	_, err = execute(t, registry(t), "notify.email", mailParams(port, "none"))
	if err == nil || ops.ClassOf(err) != ops.ClassValidation || !strings.Contains(err.Error(), "without TLS") {
		t.Errorf("a password over plain SMTP: %v", err)
	}
	if len(be.msgs) != 0 {
		t.Errorf("a message was sent")
	}
}

func TestEmailWrongPasswordIsAnExecutionError(t *testing.T) {
	be := &smtpBackend{user: "ops", pass: "other"}
	port := startSMTP(t, be, true, false)
	_, err := execute(t, registry(t), "notify.email", mailParams(port, "starttls"))
	if err == nil || ops.ClassOf(err) != ops.ClassExecution || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("got %v", err)
	}
}

func TestEmailValidatesAddresses(t *testing.T) {
	e, _ := registry(t).Get("notify.email")
	raw := mailParams(25, "none")
	raw["to"] = []any{"not an address"}
	_, err := e.Validate(raw, true)
	if err == nil || !strings.Contains(err.Error(), "not an email address") {
		t.Errorf("got %v", err)
	}
}

// TestWebhookCancelledIsNotATimeout cancels the run while the endpoint is
// slow to answer: the step is cancelled, not timed out, and its own
// timeout still gives class timeout.
func TestWebhookCancelledIsNotATimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	r := registry(t)
	e, _ := r.Get("notify.webhook")
	p, err := e.Validate(map[string]any{"url": srv.URL, "text": "x", "timeout": "30s"}, true)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err = e.Invoke(ctx, p, chaintoken.New())
	if !errors.Is(err, context.Canceled) || ops.ClassOf(err) != ops.ClassCancelled {
		t.Errorf("cancelled: %v (class %s), want class cancelled", err, ops.ClassOf(err))
	}
	p["timeout"] = 100 * time.Millisecond
	_, err = e.Invoke(context.Background(), p, chaintoken.New())
	if ops.ClassOf(err) != ops.ClassTimeout || !strings.Contains(err.Error(), "no answer within 100ms") {
		t.Errorf("own timeout: %v (class %s)", err, ops.ClassOf(err))
	}
}
