package httpreq

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestErrorBodyMaskedBeforeItIsCut: the start of an error answer's body
// that the error quotes is cut from the masked body: cut first, a secret
// crossing the cut kept its head in clear.
func TestErrorBodyMaskedBeforeItIsCut(t *testing.T) {
	const token = "gh0_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd"
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, strings.Repeat("P", 180)+token)
	})
	ctx := ops.WithCall(context.Background(), &ops.Call{Secrets: []string{token}})
	_, err := opstest.Execute(newRegistry(t), ctx, "http.request", map[string]any{"url": s.URL})
	if err == nil {
		t.Fatal("a 500 succeeded")
	}
	for i := 0; i+8 <= len(token); i++ {
		if strings.Contains(err.Error(), token[i:i+8]) {
			t.Fatalf("the error shows %q of the token: %v", token[i:i+8], err)
		}
	}
}

// TestSecretWithAnAmpersandInTheQuery: a secret holding '&' written after
// token= is masked whole in the output's url. Before, the token's value
// was masked up to the '&' first, and the secret's tail stayed in clear.
func TestSecretWithAnAmpersandInTheQuery(t *testing.T) {
	const secret = "s3cr&=tail-of-it"
	s := server(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	ctx := ops.WithCall(context.Background(), &ops.Call{Secrets: []string{secret}})
	out, err := opstest.Execute(newRegistry(t), ctx, "http.request", map[string]any{"url": s.URL + "/x?token=" + secret})
	if err != nil {
		t.Fatal(err)
	}
	if got := out["url"].(string); strings.Contains(got, "tail-of-it") || !strings.HasSuffix(got, "/x?token=***") {
		t.Errorf("url %q; want the secret masked whole", got)
	}
}

// TestSecretWithAnAmpersandInAnError: the same URL quoted in a failed
// request's error.
func TestSecretWithAnAmpersandInAnError(t *testing.T) {
	const secret = "s3cr&=tail-of-it"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	ctx := ops.WithCall(context.Background(), &ops.Call{Secrets: []string{secret}})
	_, err = opstest.Execute(newRegistry(t), ctx, "http.request", map[string]any{"url": "http://" + addr + "/x?token=" + secret})
	if err == nil || strings.Contains(err.Error(), "tail-of-it") || !strings.Contains(err.Error(), "/x?token=***") {
		t.Errorf("error %v; want the secret masked whole", err)
	}
}
