package httpreq

import (
	"context"
	"io"
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
