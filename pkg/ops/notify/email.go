package notify

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// TLS modes of notify.email.
var tlsModes = []any{"starttls", "implicit", "none"}

// EmailSpec describes notify.email.
func EmailSpec() ops.Spec {
	return ops.Spec{
		Name: "notify.email",
		Description: "Send a plain-text email over SMTP. tls: starttls (default; the server must offer STARTTLS, usually port 587), " +
			"implicit (TLS from the first byte, usually port 465) or none (only to a relay on this host). " +
			"With username, the password is sent only over TLS; pass it from a secret input.",
		Risk: ops.RiskWrite,
		Params: []ops.Param{
			{Name: "host", Type: ops.TypeString, Required: true, Target: ops.TargetHost, MaxLen: 253, Description: "the SMTP server's host name or address"},
			{Name: "port", Type: ops.TypeInteger, Default: 587, Min: ops.Bound(1), Max: ops.Bound(65535), Description: "the SMTP port"},
			{Name: "tls", Type: ops.TypeString, Default: "starttls", Enum: tlsModes, Description: "starttls, implicit or none"},
			{Name: "username", Type: ops.TypeString, MaxLen: 512, Description: "the login, for servers that need one"},
			{Name: "password", Type: ops.TypeString, MaxLen: 4096, Secret: true, Description: "the password; pass it from a secret input"},
			{Name: "from", Type: ops.TypeString, Required: true, MaxLen: 512, Description: "the sender, like 'Ops <ops@example.com>'"},
			{Name: "to", Type: ops.TypeList, Items: ops.TypeString, Required: true, MaxLen: 100, Description: "the recipients"},
			{Name: "cc", Type: ops.TypeList, Items: ops.TypeString, MaxLen: 100, Description: "copy recipients"},
			{Name: "subject", Type: ops.TypeString, Required: true, MaxLen: 998, Description: "the subject, one line: line breaks become spaces"},
			{Name: "body", Type: ops.TypeString, Required: true, MaxLen: 10 << 20, Description: "the message, as plain text"},
			{Name: "insecure_skip_verify", Type: ops.TypeBool, Default: false, Description: "accept any TLS certificate; for tests and labs only"},
			{Name: "timeout", Type: ops.TypeDuration, Default: "30s", Min: ops.Bound(0.001), Max: ops.Bound(600), Description: "limit for the whole exchange"},
		},
		Output: []ops.Field{
			{Name: "message_id", Type: "string", Description: "the Message-ID header of the sent mail"},
			{Name: "recipients", Type: "integer", Description: "how many recipients the server accepted"},
			{Name: "refused", Type: "list", Description: "the recipients the server refused, each as \"address: the server's answer\"; the others got the mail, and the step fails when any was refused"},
		},
	}
}

// Email is the notify.email operation. It is safe for concurrent use.
type Email struct{}

var (
	_ ops.Op             = (*Email)(nil)
	_ ops.ParamValidator = (*Email)(nil)
)

// ValidateParams checks the addresses and that a password goes with a
// username. An empty host, sender or recipient, which an unset input
// leaves, is refused rather than dialled or sent to; so is a host that
// carries a port, which belongs in port.
func (*Email) ValidateParams(p ops.Params, _ bool) error {
	var errs ops.ParamErrors
	add := func(param, format string, args ...any) {
		errs = append(errs, &ops.ParamError{Param: param, Msg: fmt.Sprintf(format, args...)})
	}
	if p.Known("host") {
		host := p.String("host")
		if strings.TrimSpace(host) == "" {
			add("host", "%v", errEmpty)
		} else if h, port, err := net.SplitHostPort(host); err == nil {
			add("host", "%q holds a port; write host: %s and port: %s", host, h, port)
		}
	}
	if p.Known("from") {
		if strings.TrimSpace(p.String("from")) == "" {
			add("from", "%v", errEmpty)
		} else if _, err := mail.ParseAddress(p.String("from")); err != nil {
			add("from", "%q is not an email address: %v", p.String("from"), err)
		}
	}
	if p.Known("to") && len(p.List("to")) == 0 {
		add("to", "is empty; list at least one recipient")
	}
	for _, name := range []string{"to", "cc"} {
		if !p.Known(name) {
			continue
		}
		for i, v := range p.List(name) {
			s, ok := v.(string)
			if !ok {
				continue
			}
			if strings.TrimSpace(s) == "" {
				add(name, "item %d %v", i, errEmpty)
			} else if _, err := mail.ParseAddress(s); err != nil {
				add(name, "item %d: %q is not an email address: %v", i, s, err)
			}
		}
	}
	if p.Known("username") && p.Known("password") && p.String("password") != "" && p.String("username") == "" {
		add("username", "a password needs a username")
	}
	// Execute would refuse it only after connecting: say so at validation.
	if p.Known("tls") && p.String("tls") == "none" && p.Known("username") && p.String("username") != "" {
		add("tls", "none with a username would send the password in clear, and a password is never sent without TLS; use tls: starttls (port 587) or implicit (port 465), or leave username and password out for a relay on this host that needs no login")
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// Execute sends the mail.
func (*Email) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, p.Duration("timeout"), errTimedOut)
	defer cancel()
	host := p.String("host")
	addr := net.JoinHostPort(host, strconv.Itoa(p.Int("port")))
	tlsConf := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: p.Bool("insecure_skip_verify")} //nolint:gosec // asked for by the step
	mode := p.String("tls")
	fail := func(err error, what string) error { return smtpErr(ctx, err, what, mode, stageOther) }

	conn, err := policy.DialContext(ctx, net.Dialer{Timeout: 30 * time.Second}, "tcp", addr)
	if err != nil {
		return nil, fail(err, "connecting to "+addr)
	}
	if d, ok := ctx.Deadline(); ok {
		conn.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	if mode == "implicit" {
		conn = tls.Client(conn, tlsConf)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return nil, fail(err, "greeting from "+addr)
	}
	defer c.Close()
	if err := c.Hello(heloName(conn.LocalAddr())); err != nil {
		return nil, fail(err, "EHLO")
	}
	secure := mode == "implicit"
	if mode == "starttls" {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return nil, ops.Errorf(ops.ClassExecution, "notify.email: %s does not offer STARTTLS; use tls: implicit (port 465) or, for a relay on this host only, tls: none", addr)
		}
		if err := c.StartTLS(tlsConf); err != nil {
			return nil, fail(err, "STARTTLS")
		}
		secure = true
	}
	if user := p.String("username"); user != "" {
		if !secure {
			return nil, ops.Errorf(ops.ClassValidation, "notify.email: refusing to send a password without TLS; use tls: starttls or implicit")
		}
		if err := c.Auth(plainAuth{user: user, pass: p.String("password"), host: host}); err != nil {
			return nil, smtpErr(ctx, err, "login as "+user, mode, stageLogin)
		}
	}
	from, _ := mail.ParseAddress(p.String("from"))
	if err := c.Mail(from.Address); err != nil {
		return nil, smtpErr(ctx, err, "MAIL FROM", mode, stageSender)
	}
	// A server refuses one recipient at a time; the others still get the
	// mail, and the step fails afterwards naming each refused one, so that
	// one stale address does not silence the whole notification.
	accepted := 0
	refused := []any{}
	deferred := true // every refusal was temporary (4xx)
	for _, list := range []string{"to", "cc"} {
		for _, v := range p.Strings(list) {
			a, _ := mail.ParseAddress(v)
			if err := c.Rcpt(a.Address); err != nil {
				var reply *textproto.Error
				if !errors.As(err, &reply) {
					return nil, fail(err, "recipient "+a.Address)
				}
				// The reply as the server wrote it, on one line.
				refused = append(refused, fmt.Sprintf("%s: %03d %s", a.Address, reply.Code, strings.Join(strings.Fields(reply.Msg), " ")))
				deferred = deferred && reply.Code/100 == 4
				continue
			}
			accepted++
		}
	}
	if accepted == 0 {
		return map[string]any{"recipients": 0, "refused": refused}, ops.Errorf(ops.ClassExecution,
			"notify.email: the server refused every recipient, so nothing was sent; refused: %s%s", joinAny(refused), deferredNote(deferred))
	}
	id := messageID(from.Address)
	w, err := c.Data()
	if err != nil {
		return nil, smtpErr(ctx, err, "DATA", mode, stageMessage)
	}
	if _, err := w.Write(compose(p, from.String(), id, maskSecrets(ctx))); err != nil {
		return nil, fail(err, "sending the message")
	}
	if err := w.Close(); err != nil {
		return nil, smtpErr(ctx, err, "sending the message", mode, stageMessage)
	}
	c.Quit()
	out := map[string]any{"message_id": id, "recipients": accepted, "refused": refused}
	if len(refused) > 0 {
		// Of class validation, which retry never repeats: a retry would
		// send the mail again to everyone who has it.
		fix := "fix or remove the refused addresses"
		if deferred {
			fix = "the server deferred them (4xx, a temporary refusal: greylisting, a full mailbox, a rate limit), so the addresses may be right: tell them yourself, or ask the server's administrator why it defers them"
		}
		return out, ops.WithClass(ops.ClassValidation, &ops.PartlySent{Sent: accepted, Of: accepted + len(refused),
			Err: fmt.Errorf("notify.email: sent to %d of %d recipients; refused: %s; not sent again, since the others have it: %s",
				accepted, accepted+len(refused), joinAny(refused), fix)})
	}
	return out, nil
}

// deferredNote says, of a mail no recipient took, that every refusal was
// temporary (4xx), when it was: the addresses are not at fault.
func deferredNote(deferred bool) string {
	if !deferred {
		return ""
	}
	return "; each a temporary refusal (4xx: greylisting, a full mailbox, a rate limit), not a wrong address: the server may take it later"
}

// joinAny joins the refusals for an error.
func joinAny(list []any) string {
	parts := make([]string, len(list))
	for i, v := range list {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, "; ")
}

// plainAuth is PLAIN authentication; unlike net/smtp's, it leaves the
// decision about TLS to Execute, which already refused a plain connection.
type plainAuth struct{ user, pass, host string }

func (a plainAuth) Start(*smtp.ServerInfo) (string, []byte, error) {
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, fmt.Errorf("unexpected server challenge")
	}
	return nil, nil
}

func messageID(from string) string {
	var b [12]byte
	rand.Read(b[:])
	domain := "arsenal-run.invalid"
	if i := strings.LastIndexByte(from, '@'); i >= 0 && i < len(from)-1 {
		domain = from[i+1:]
	}
	return "<" + hex.EncodeToString(b[:]) + "@" + domain + ">"
}

// maxLine is the longest line SMTP carries, in bytes without its CRLF
// (RFC 5321, 4.5.3.1.6): a server refuses a message with a longer one, or
// breaks it.
const maxLine = 998

// foldWidth is the width headers are folded at (RFC 5322, 2.1.1).
const foldWidth = 78

// compose builds the message: headers (the subject encoded when it is not
// ASCII; the subject and the recipients folded, so that a long one stays
// within SMTP's lines) and the body as UTF-8 text with CRLF line ends,
// dot-stuffing left to net/smtp. The body goes as it is (8bit) when every
// line fits in a line of SMTP, else quoted-printable, whose soft line
// breaks carry a step's output of any length on one line.
func compose(p ops.Params, from, id string, mask func(string) string) []byte {
	var b strings.Builder
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", from)
	addresses := func(list []string) []string {
		out := make([]string, 0, len(list))
		for _, v := range list {
			a, _ := mail.ParseAddress(v)
			out = append(out, a.String())
		}
		return out
	}
	writeFolded(&b, "To", addresses(p.Strings("to")), ", ")
	if cc := p.Strings("cc"); len(cc) > 0 {
		writeFolded(&b, "Cc", addresses(cc), ", ")
	}
	// The encoder splits a long subject into encoded words joined by
	// spaces, where it may be folded.
	writeFolded(&b, "Subject", strings.Split(mime.QEncoding.Encode("utf-8", oneLine(mask(p.String("subject")))), " "), " ")
	header("Date", time.Now().Format(time.RFC1123Z))
	header("Message-ID", id)
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	// Every line end is CRLF: a lone CR (or LF) reaching the wire can end
	// the data early for a server that reads it so ("\r.\r\n"), and
	// what follows would be a second message (SMTP smuggling).
	body := strings.ReplaceAll(mask(p.String("body")), "\r\n", "\n")
	body = strings.ReplaceAll(body, "\r", "\n")
	if longestLine(body) > maxLine {
		header("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		// In text mode the writer ends each line with CRLF.
		w := quotedprintable.NewWriter(&b)
		w.Write([]byte(body))
		w.Close()
	} else {
		header("Content-Transfer-Encoding", "8bit")
		b.WriteString("\r\n")
		b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
	}
	if !strings.HasSuffix(body, "\n") {
		b.WriteString("\r\n")
	}
	return []byte(b.String())
}

// oneLine is s with each line break, and the blanks around it, made one
// space, and without a line break at either end: a subject computed from
// a step's output ("disk full on web1\n") is sent on one header line, so
// that it can neither fail the notification nor add a header.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	var parts []string
	for part := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == '\r' || r == '\n' }) {
		if part = strings.TrimSpace(part); part != "" {
			parts = append(parts, part)
		}
	}
	return strings.Join(parts, " ")
}

// writeFolded writes the header name with the parts joined by sep, which
// ends with one space, folding between two parts where the line would
// pass foldWidth: the space before the next part becomes the fold's, so
// the header reads as written once unfolded.
func writeFolded(b *strings.Builder, name string, parts []string, sep string) {
	b.WriteString(name + ": ")
	n := len(name) + 2
	for i, part := range parts {
		switch {
		case i == 0:
			b.WriteString(part)
			n += len(part)
		case part != "" && n+len(sep)+len(part) > foldWidth:
			b.WriteString(strings.TrimSuffix(sep, " ") + "\r\n " + part)
			n = 1 + len(part)
		default:
			b.WriteString(sep + part)
			n += len(sep) + len(part)
		}
	}
	b.WriteString("\r\n")
}

// longestLine is the length in bytes of the longest line of s.
func longestLine(s string) int {
	longest := 0
	for line := range strings.SplitSeq(s, "\n") {
		longest = max(longest, len(line))
	}
	return longest
}

// smtpErr is the error of an exchange that failed. The connection's
// deadline is ctx's, and whichever of the two the runtime notices first
// ends the exchange: once the deadline has passed, ctx is done (or is in
// a moment), and the failure is told as ctx's end, a timeout when it was
// the operation's own. A failure for TLS says what to do about it (see
// emailTLSHint), and so does a greeting that never came, a server that
// refused the login, the sender or the message at stage (see smtpHint),
// and a host that does not resolve or does not listen (see dialHint).
func smtpErr(ctx context.Context, err error, what, mode string, stage int) error {
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		<-ctx.Done()
	}
	if ctx.Err() != nil {
		hint := ""
		if strings.HasPrefix(what, "greeting") && mode != "implicit" {
			// The server waits for a TLS handshake, the client for its
			// greeting.
			hint = " (if this port speaks TLS from the first byte, as 465 usually does, use tls: implicit)"
		}
		return ended(ctx, "notify.email: "+what+": timed out"+hint)
	}
	hint := emailTLSHint(err, mode)
	if hint == "" {
		hint = smtpHint(err, stage)
	}
	if hint == "" {
		hint = dialHint(err, "param host", "params host and port")
	}
	return ops.Errorf(policy.Class(err, ops.ClassExecution), "notify.email: %s: %v%s", what, err, hint)
}
