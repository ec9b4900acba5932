package notify

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestWebhookEmptyURLIsAValidationError checks that an empty webhook URL,
// which is what an unset input or variable gives, is refused as a
// validation error that says so, at load time when it is literal and at
// run time when it was interpolated; an empty link stays allowed.
func TestWebhookEmptyURLIsAValidationError(t *testing.T) {
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	r := registry(t)
	e, err := r.Get("notify.webhook")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"", "  "} {
		raw := map[string]any{"url": u, "text": "disk full", "link": ""}
		for _, final := range []bool{false, true} {
			_, err := e.Validate(raw, final)
			checkParamErrs(t, err, map[string][]string{"url": {"is empty", "input or environment variable", "not set"}})
		}
		_, err := execute(t, r, "notify.webhook", raw)
		if ops.ClassOf(err) != ops.ClassValidation {
			t.Errorf("url %q: %v (class %s), want a validation error", u, err, ops.ClassOf(err))
		}
		// Executed without that validation: the op checks again.
		p := ops.Params{"url": u, "text": "disk full", "format": "json", "timeout": time.Second}
		if _, err := (&Webhook{}).Execute(context.Background(), p); ops.ClassOf(err) != ops.ClassValidation || !strings.Contains(err.Error(), "param url: is empty") {
			t.Errorf("url %q executed: %v (class %s), want a validation error", u, err, ops.ClassOf(err))
		}
	}
	if _, err := e.Validate(map[string]any{"url": ops.Deferred, "text": "x"}, false); err != nil {
		t.Errorf("a url still to be computed: %v", err)
	}
	if _, err := execute(t, r, "notify.webhook", map[string]any{"url": srv.URL, "text": "x", "link": ""}); err != nil {
		t.Errorf("an empty link: %v", err)
	}
	if len(rc.bodies) != 1 {
		t.Errorf("the receiver got %d messages, want 1", len(rc.bodies))
	}
}

// TestWebhookBadPortIsAValidationError checks that a URL whose port is not
// from 1 to 65535 is refused before anything is dialled, without showing
// the URL, which is a credential.
func TestWebhookBadPortIsAValidationError(t *testing.T) {
	r := registry(t)
	for _, tc := range []struct{ url, port string }{
		{"http://127.0.0.1:80800/T000/secret-token", "80800"},
		{"https://hooks.example.com:0/T000/secret-token", "0"},
		{"http://127.0.0.1:abc/T000/secret-token", `":abc"`},
	} {
		for _, param := range []string{"url", "link"} {
			raw := map[string]any{"url": "https://hooks.example.com/T000", "text": "x"}
			raw[param] = tc.url
			_, err := execute(t, r, "notify.webhook", raw)
			if ops.ClassOf(err) != ops.ClassValidation {
				t.Errorf("%s %s: %v (class %s), want a validation error", param, tc.url, err, ops.ClassOf(err))
			}
			checkParamErrs(t, err, map[string][]string{param: {"port " + tc.port + " ", "1 to 65535"}})
			if err != nil && strings.Contains(err.Error(), "secret-token") {
				t.Errorf("%s %s: %v shows the URL", param, tc.url, err)
			}
		}
	}
}

// TestEmailEmptyRequiredParams checks that the required params of
// notify.email that an unset input would leave empty are refused, with
// the reason, and that a port written into host is pointed to port.
func TestEmailEmptyRequiredParams(t *testing.T) {
	e, err := registry(t).Get("notify.email")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		set  map[string]any
		want map[string][]string
	}{
		{"empty host", map[string]any{"host": ""}, map[string][]string{"host": {"is empty", "not set"}}},
		{"host with a port", map[string]any{"host": "smtp.example.com:587"}, map[string][]string{"host": {"holds a port", "port: 587"}}},
		{"empty from", map[string]any{"from": " "}, map[string][]string{"from": {"is empty", "not set"}}},
		{"no recipients", map[string]any{"to": []any{}}, map[string][]string{"to": {"is empty; list at least one recipient"}}},
		{"empty recipient", map[string]any{"to": []any{"a@example.com", ""}, "cc": []any{""}},
			map[string][]string{"to": {"item 1 is empty", "not set"}, "cc": {"item 0 is empty"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := mailParams(587, "starttls")
			for k, v := range tc.set {
				raw[k] = v
			}
			for _, final := range []bool{false, true} {
				_, err := e.Validate(raw, final)
				checkParamErrs(t, err, tc.want)
			}
		})
	}
	raw := mailParams(587, "starttls")
	raw["host"], raw["from"], raw["to"] = ops.Deferred, ops.Deferred, []any{ops.Deferred}
	if _, err := e.Validate(raw, false); err != nil {
		t.Errorf("values still to be computed: %v", err)
	}
	raw = mailParams(587, "starttls")
	raw["host"] = "[::1]"
	if _, err := e.Validate(raw, true); err != nil {
		t.Errorf("an IPv6 host: %v", err)
	}
}

// checkParamErrs fails unless err is ParamErrors for exactly the params of
// want, each message holding every string listed for its param.
func checkParamErrs(t *testing.T, err error, want map[string][]string) {
	t.Helper()
	var pes ops.ParamErrors
	if !errors.As(err, &pes) {
		t.Errorf("got %v, want errors for %v", err, want)
		return
	}
	got := map[string]string{}
	for _, pe := range pes {
		got[pe.Param] += pe.Msg + "; "
	}
	var gotParams, wantParams []string
	for p := range got {
		gotParams = append(gotParams, p)
	}
	for p, subs := range want {
		wantParams = append(wantParams, p)
		for _, s := range subs {
			if !strings.Contains(got[p], s) {
				t.Errorf("param %s: %q, want it to contain %q", p, got[p], s)
			}
		}
	}
	if diff := cmp.Diff(wantParams, gotParams, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("params with errors (-want +got):\n%s\n%v", diff, err)
	}
}
