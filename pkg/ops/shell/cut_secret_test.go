package shell

import (
	"context"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestStderrTailMasksBeforeItCuts: the tail of stderr an error quotes is
// cut from text already masked: cut first, a secret crossing the cut kept
// its end in clear, which no later masking could find.
func TestStderrTailMasksBeforeItCuts(t *testing.T) {
	const token = "gh0_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd"
	ctx := ops.WithCall(context.Background(), &ops.Call{Secrets: []string{token}})
	_, err := execute(t, ctx, &Exec{}, map[string]any{
		"script": `printf "%s%0780d\n" "` + token + `" 0 >&2; exit 1`,
	})
	if err == nil {
		t.Fatal("the step succeeded")
	}
	for i := 0; i+12 <= len(token); i++ {
		if strings.Contains(err.Error(), token[i:i+12]) {
			t.Fatalf("the error shows %q of the token: %v", token[i:i+12], err)
		}
	}
}
