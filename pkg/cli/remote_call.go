package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
)

// apiError is an error answer of the server.
type apiError struct {
	status int
	Class  string `json:"class"`
	Msg    string `json:"message"`
	Rule   string `json:"rule"`
	Field  string `json:"field"`
	Reason string `json:"reason"` // why a 409: "being_cancelled", "ended"
}

// Error is the server's error as a terminal shows it: what the server
// (or whatever answers at its address) sent is cleaned of terminal
// controls first.
func (a *apiError) Error() string {
	msg := fmt.Sprintf("%d %s: %s", a.status, termtext.Clean(a.Class), termtext.Clean(a.Msg))
	if a.Field != "" {
		msg += " (field " + termtext.Line(a.Field) + ")"
	}
	if a.Rule != "" && !strings.Contains(a.Msg, a.Rule) {
		// A denial's message often is its rule ("no rule of role viewer
		// allows ..."): it is said once.
		msg += " (rule: " + termtext.Line(a.Rule) + ")"
	}
	return msg
}

// call sends a request with the key and decodes a JSON answer into out.
// An error answer comes back as *apiError.
func (r *remote) call(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base.String()+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.key != "" {
		req.Header.Set("Authorization", "Bearer "+r.key)
	}
	res, err := r.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return res.StatusCode, err
	}
	if res.StatusCode >= 300 {
		return res.StatusCode, r.answerError(res, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			if !json.Valid(data) {
				return res.StatusCode, errors.New(r.foreign(res, summary(res, data)))
			}
			return res.StatusCode, fmt.Errorf("the server's answer is not what was expected: %v", err)
		}
	}
	return res.StatusCode, nil
}

// errorText prints err after head as an error line, the lines of a
// message that runs over several (the server's, which may end with what
// a program printed) indented under it and, on a terminal, wrapped, as
// exec indents an operation's stderr: none can pass for a line of the
// tool's own.
func (r *remote) errorText(head string, err error) {
	if r.e.logJSON {
		r.e.errorLine(head + err.Error())
		return
	}
	io.WriteString(r.e.stderr, termtext.Indent(program+": "+head, err.Error(), "  ", termWidth(r.e.stderr)))
}

// fail prints an error and returns its exit code.
func (r *remote) fail(err error) int {
	r.errorText(r.base.Host+": ", err)
	var ae *apiError
	if !errors.As(err, &ae) {
		var ne net.Error
		if !r.certHint(err) && !r.connHint(err) && errors.As(err, &ne) && ne.Timeout() {
			r.e.errorf("the server did not answer in time: check that it runs (not stopped, not overloaded) and that %s reaches it", r.base.Host)
		}
		if errors.Is(err, http.ErrSchemeMismatch) {
			return ExitUsage // the URL is wrong, and trying again will not help
		}
		return ExitFailed
	}
	if httpsOnly(ae) {
		r.e.errorf("%s speaks HTTPS, not plain HTTP: give %s https://%s (with --ca FILE if its certificate is not signed by a CA this machine trusts)", r.base.Host, r.serverFrom(), r.base.Host)
	}
	if ae.Class == classRedirect {
		return ExitUsage // the URL is wrong, and trying again will not help
	}
	if ae.status == http.StatusNotFound && r.base.Path != "" && (ae.Class == classForeign || strings.HasPrefix(ae.Msg, "no endpoint ")) {
		// The API's own path (/api/v1) or the console's page pasted
		// into --server: each request's path is added to it.
		r.e.errorf("%s has the path %s, which every request's path is added to: give %s %s://%s, with a path only for the prefix of a proxy in front of serve", r.serverFrom(), r.base.Path, r.serverFrom(), r.base.Scheme, r.base.Host)
	}
	switch ae.status {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusRequestEntityTooLarge, http.StatusConflict:
		return ExitUsage
	case http.StatusUnauthorized, http.StatusForbidden:
		if ae.status == http.StatusUnauthorized && r.key == "" && !r.certHint(err) {
			r.e.errorf("no key: set $%s", r.o.keyEnv)
		}
		return ExitDenied
	}
	return ExitFailed
}
