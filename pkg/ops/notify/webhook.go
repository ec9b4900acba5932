// Package notify holds the notification operations: notify.webhook posts a
// message to Slack, Microsoft Teams or any JSON endpoint, and notify.email
// sends mail over SMTP. Both connect only where the caller's network policy
// allows, checked on the resolved address at dial time.
package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/redact"
	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/port"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/tlshint"
)

// Register adds notify.webhook and notify.email to r.
func Register(r *ops.Registry) error {
	if err := r.Register(WebhookSpec(), &Webhook{}); err != nil {
		return err
	}
	return r.Register(EmailSpec(), &Email{})
}

// Formats of notify.webhook.
var formats = []any{"slack", "teams", "json"}

// WebhookSpec describes notify.webhook.
func WebhookSpec() ops.Spec {
	return ops.Spec{
		Name: "notify.webhook",
		Description: "Post a message to a webhook: a Slack or Microsoft Teams incoming webhook, or any endpoint that takes JSON. " +
			"The message is text plus optional fields shown as a table (name: value). Fails unless the endpoint answers 2xx. " +
			"Redirects are not followed: a webhook URL is a secret, and its message is never sent on to another host.",
		Risk: ops.RiskWrite,
		Params: []ops.Param{
			{Name: "url", Type: ops.TypeString, Required: true, Target: ops.TargetURL, MaxLen: 8192, Secret: true, Description: "the webhook URL (http:// or https://); pass it from a secret input"},
			{Name: "format", Type: ops.TypeString, Default: "json", Enum: formats, Description: "slack (blocks), teams (an Adaptive Card) or json ({text, fields})"},
			{Name: "text", Type: ops.TypeString, Required: true, MaxLen: 40000, Description: "the message"},
			{Name: "title", Type: ops.TypeString, MaxLen: 250, Description: "a heading above the message"},
			{Name: "fields", Type: ops.TypeMap, Description: "extra facts, name to value, shown as a table"},
			{Name: "link", Type: ops.TypeString, MaxLen: 8192, Description: "a URL shown as a button or link, such as the run's page"},
			{Name: "timeout", Type: ops.TypeDuration, Default: "30s", Min: ops.Bound(0.001), Max: ops.Bound(600), Description: "limit for the whole request"},
		},
		Output: []ops.Field{
			{Name: "status", Type: "integer", Description: "the HTTP status the endpoint answered"},
			{Name: "body", Type: "string", Description: "the start of the endpoint's answer (at most 4 KiB)"},
		},
	}
}

// Webhook is the notify.webhook operation. It is safe for concurrent use.
type Webhook struct{}

var (
	_ ops.Op             = (*Webhook)(nil)
	_ ops.ParamValidator = (*Webhook)(nil)
)

// ValidateParams checks the URLs: url must be set, link may be empty.
// Values still to be computed are checked at run time, when an empty url
// (typically an unset input or variable) fails the step as a validation
// error before anything is sent.
func (*Webhook) ValidateParams(p ops.Params, _ bool) error {
	var errs ops.ParamErrors
	if p.Known("url") {
		if err := checkWebhookURL(p.String("url")); err != nil {
			errs = append(errs, &ops.ParamError{Param: "url", Msg: err.Error()})
		}
	}
	if p.Known("link") && p.String("link") != "" {
		if err := checkURL(p.String("link")); err != nil {
			errs = append(errs, &ops.ParamError{Param: "link", Msg: err.Error()})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// errEmpty is the problem of a required text param that is empty, which
// it usually is because the input or variable it comes from is not set.
var errEmpty = errors.New("is empty; it probably comes from an input or environment variable that is not set")

// checkWebhookURL checks the url param, which must not be empty.
func checkWebhookURL(s string) error {
	if strings.TrimSpace(s) == "" {
		return errEmpty
	}
	return checkURL(s)
}

// checkURL accepts an absolute http or https URL with a host and, if it
// names a port, a port from 1 to 65535. Its errors never show the URL,
// which may be a credential.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if perr := port.ParseError(err); perr != nil {
		return perr
	}
	if err != nil {
		return fmt.Errorf("not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("scheme %q is not supported; use https:// (or http:// for a local receiver)", u.Scheme)
	}
	if u.Host == "" {
		return fmt.Errorf("has no host; write it like https://hooks.example.com/...")
	}
	return port.OfURL(u)
}

// Message is what notify.webhook sends, before it is put in a format.
type Message struct {
	Title  string
	Text   string
	Fields map[string]string
	Link   string
}

// Body renders m in format: slack, teams or json.
func Body(format string, m Message) ([]byte, error) {
	names := make([]string, 0, len(m.Fields))
	for k := range m.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	switch format {
	case "slack":
		type text struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		var blocks []any
		if m.Title != "" {
			blocks = append(blocks, map[string]any{"type": "header", "text": text{"plain_text", cut(m.Title, 150)}})
		}
		// Slack refuses a section whose text is empty or blank (a step's
		// empty output interpolated into it): no section then.
		if strings.TrimSpace(m.Text) != "" {
			blocks = append(blocks, map[string]any{"type": "section", "text": text{"mrkdwn", slackEscape(midCut(m.Text, 3000, slackChars))}})
		}
		if len(names) > 0 {
			var fs []text
			for _, k := range names {
				if len(fs) == 10 { // Slack's limit per section
					blocks = append(blocks, map[string]any{"type": "section", "fields": fs})
					fs = nil
				}
				fs = append(fs, text{"mrkdwn", cut("*"+slackEscape(k)+"*\n"+slackEscape(midCut(m.Fields[k], 2000-len("*"+slackEscape(k)+"*\n"), slackChars)), 2000)})
			}
			blocks = append(blocks, map[string]any{"type": "section", "fields": fs})
		}
		if m.Link != "" {
			blocks = append(blocks, map[string]any{"type": "actions", "elements": []any{
				map[string]any{"type": "button", "text": text{"plain_text", "Open"}, "url": m.Link},
			}})
		}
		fallback := m.Text
		switch {
		case m.Title != "" && strings.TrimSpace(m.Text) != "":
			fallback = m.Title + ": " + m.Text
		case m.Title != "":
			fallback = m.Title
		case strings.TrimSpace(m.Text) == "":
			// Nor does it take a message with no text at all.
			fallback = "(no text)"
		}
		return json.Marshal(map[string]any{"text": slackEscape(midCut(fallback, 3000, slackChars)), "blocks": blocks})
	case "teams":
		return teamsBody(m, names)
	case "json":
		out := map[string]any{"text": m.Text}
		if m.Title != "" {
			out["title"] = m.Title
		}
		if len(m.Fields) > 0 {
			out["fields"] = m.Fields
		}
		if m.Link != "" {
			out["link"] = m.Link
		}
		return json.Marshal(out)
	}
	return nil, fmt.Errorf("unknown format %q", format)
}

// slackEscape escapes the three characters Slack's mrkdwn treats as
// control characters, so a value cannot mention @channel or forge links.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// Execute posts the message.
func (*Webhook) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	mask := maskSecrets(ctx)
	fields := map[string]string{}
	for k, v := range p.Map("fields") {
		switch x := v.(type) {
		case string:
			fields[mask(k)] = mask(x)
		case nil:
			fields[mask(k)] = ""
		default:
			b, _ := json.Marshal(x)
			fields[mask(k)] = mask(string(b))
		}
	}
	body, err := Body(p.String("format"), Message{Title: mask(p.String("title")), Text: mask(p.String("text")), Fields: fields, Link: mask(p.String("link"))})
	if err != nil {
		return nil, ops.WithClass(ops.ClassValidation, err)
	}
	if err := checkWebhookURL(p.String("url")); err != nil {
		return nil, ops.Errorf(ops.ClassValidation, "notify.webhook: param url: %v", err)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, p.Duration("timeout"), errTimedOut)
	defer cancel()
	rctx, asked := tlshint.Watch(ctx)
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, p.String("url"), bytes.NewReader(body))
	if err != nil {
		return nil, ops.Errorf(ops.ClassValidation, "notify.webhook: %v", maskErr(err, p.String("url")))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "arsenal-run")
	dialer := net.Dialer{Timeout: 30 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return policy.DialContext(ctx, dialer, network, addr)
		},
		TLSHandshakeTimeout: 10 * time.Second,
		// No client certificate; an endpoint that asks for one is
		// noted for the hint (tlshint.Watch).
		TLSClientConfig: &tls.Config{GetClientCertificate: tlshint.NoClientCert},
	}
	if !policy.HasDialPolicy(ctx) {
		// As http.request: the environment's proxy, unless http rules
		// must judge the endpoint itself.
		tr.Proxy = proxyFromEnvironment
	}
	client := &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer client.CloseIdleConnections()
	resp, err := post(ctx, client, req)
	if err != nil {
		msg := maskErr(err, p.String("url"))
		if ctx.Err() != nil {
			what := "notify.webhook: no answer within " + short.Duration(p.Duration("timeout"))
			if errors.Is(context.Cause(ctx), errTimedOut) {
				what += " (param timeout): check that the endpoint of param url answers, or raise timeout"
			}
			return nil, ended(ctx, what)
		}
		hint := asked.Hint(err, webhookTLSWords)
		if hint == "" && policy.Class(err, ops.ClassExecution) == ops.ClassExecution {
			hint = dialHint(err, "the host in param url", "the host and port in param url")
		}
		return nil, ops.Errorf(policy.Class(err, ops.ClassExecution), "notify.webhook: %s%s", msg, hint)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	// An endpoint's error answer often quotes the path it was called at,
	// which holds the webhook's token: the answer is masked before it
	// reaches the step's output, its error, the report or the history.
	answer := maskAnswer(strings.ToValidUTF8(string(raw), "\uFFFD"), p.String("url"))
	out := map[string]any{"status": resp.StatusCode, "body": answer}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := "the endpoint answered " + resp.Status
		if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
			msg += redirectNote(resp)
		}
		if quoted := strings.TrimSpace(cut(answer, 200)); quoted != "" {
			msg += ": " + quoted
		}
		msg += statusHint(resp.StatusCode)
		return out, ops.Errorf(ops.ClassExecution, "notify.webhook: %s", msg)
	}
	return out, nil
}

// proxyFromEnvironment picks the proxy of a webhook's request; tests
// replace it, since net/http reads the environment once per process.
var proxyFromEnvironment = http.ProxyFromEnvironment

// redirectNote says that a redirect was not followed and where it led:
// the Location's host only, since its path may carry a token as well.
func redirectNote(resp *http.Response) string {
	const note = " (a redirect; redirects are not followed, so that the message never goes on to another host"
	loc, err := resp.Location()
	switch {
	case errors.Is(err, http.ErrNoLocation):
		return note + "; it named no Location)"
	case err != nil || loc.Host == "":
		return note + "; its Location is not a valid URL)"
	}
	return note + "; it pointed to " + loc.Host + ": use that URL if it is the right endpoint)"
}

// minMasked is the length below which a piece of the webhook URL (a path
// segment, a query value) is not masked on its own in an answer: masking
// "v1" or "a" would garble the text without hiding a credential.
const minMasked = 4

// maskAnswer hides the webhook URL in an endpoint's answer: the whole URL
// as scheme://host/***, and its path, query, fragment and userinfo, each
// whole and each piece of them long enough to be a token, as ***, in the
// forms an answer quotes them (escaped, in JSON).
func maskAnswer(answer, u string) string {
	if u == "" || answer == "" {
		return answer
	}
	answer = maskURL(answer, u)
	pu, err := url.Parse(u)
	if err != nil {
		return answer
	}
	var pieces []string
	add := func(s string) {
		if len(s) < minMasked {
			return
		}
		// As written, and with its escapes in either case: an answer
		// may quote the raw form (+ for a space, %2f) or re-encode it.
		pieces = append(pieces, s)
		if strings.Contains(s, "%") {
			pieces = append(pieces, hexCase(s, strings.ToUpper), hexCase(s, strings.ToLower))
		}
	}
	if pu.User != nil {
		add(pu.User.String())
		add(pu.User.Username())
		if pw, ok := pu.User.Password(); ok {
			add(pw)
		}
	}
	if path := pu.EscapedPath(); path != "" && path != "/" {
		add(path)
		add(pu.Path)
		for _, seg := range strings.Split(pu.Path, "/") {
			add(seg)
		}
		for _, seg := range strings.Split(path, "/") {
			add(seg)
		}
	}
	if pu.RawQuery != "" {
		add(pu.RawQuery)
		for _, vs := range pu.Query() {
			for _, v := range vs {
				add(v)
			}
		}
		// Each value as written too: "Ab+cD/eF==" is quoted so, while its
		// decoded form reads "Ab cD/eF==".
		for _, kv := range strings.FieldsFunc(pu.RawQuery, func(r rune) bool { return r == '&' || r == ';' }) {
			_, v, _ := strings.Cut(kv, "=")
			add(v)
		}
	}
	if pu.Fragment != "" {
		add(pu.Fragment)
		add(pu.EscapedFragment())
	}
	if len(pieces) == 0 {
		return answer
	}
	return redact.New(pieces...).String(answer)
}

// hexCase is s with the hex digits of its %XX escapes changed by f.
func hexCase(s string, f func(string) string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			b.WriteString("%" + f(s[i+1:i+3]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// errTimedOut is the cause of an operation's own timeout.
var errTimedOut = errors.New("timed out")

// ended is the error for a request whose context ended: a timeout when the
// operation's own timeout ran out, else the cause (the step's timeout or
// the run's cancellation), which keeps its class.
func ended(ctx context.Context, what string) error {
	cause := context.Cause(ctx)
	if errors.Is(cause, errTimedOut) {
		return ops.Errorf(ops.ClassTimeout, "%s", what)
	}
	return fmt.Errorf("%s: %w", what, cause)
}

// maskErr is err's text with the webhook URL, which is a credential,
// hidden. net/http reports a URL in the form it re-encoded (a password as
// ***, characters escaped), which the text of u does not match: the URL
// of a *url.Error is replaced whole.
func maskErr(err error, u string) string {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		masked := *ue
		masked.URL = maskedURL(u)
		return maskURL(masked.Error(), u)
	}
	return maskURL(err.Error(), u)
}

// maskURL hides the webhook URL in an error text.
func maskURL(msg, u string) string {
	if u == "" {
		return msg
	}
	return strings.ReplaceAll(msg, u, maskedURL(u))
}

// maskedURL is what an error shows of the webhook URL u: its scheme and
// host alone.
func maskedURL(u string) string {
	if pu, err := url.Parse(u); err == nil && pu.Host != "" {
		return pu.Scheme + "://" + pu.Host + "/***"
	}
	return "the webhook URL"
}

// maskSecrets returns what masks the run's secrets, in every encoding the
// report masks them in, in a message's text: a notification goes where
// the run's report and logs go, to people, and a step's output it quotes
// may hold a secret (a token a command printed, base64 and all).
func maskSecrets(ctx context.Context) func(string) string {
	secrets := ops.CallFrom(ctx).Secrets
	if len(secrets) == 0 {
		return func(s string) string { return s }
	}
	return redact.New(secrets...).String
}
