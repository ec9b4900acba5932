package shell

import (
	"context"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/redact"
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

// TestCommandLineSecretsAreMaskedInListings: while shell.exec runs a
// program with a secret among its arguments, whoever lists processes sees
// its command line; the listings mask the secrets of commands this
// process ran, as they mask process.start's.
func TestCommandLineSecretsAreMaskedInListings(t *testing.T) {
	const token = "Sh3ll-Arg-Zq9x"
	ctx := ops.WithCall(context.Background(), &ops.Call{Secrets: []string{token, "not-on-the-line-Q7"}})
	if _, err := execute(t, ctx, &Exec{}, map[string]any{"command": []any{"sh", "-c", "true", "x", "--token=" + token}}); err != nil {
		t.Fatal(err)
	}
	line := "sh -c true x --token=" + token + " not-on-the-line-Q7"
	if got := redact.MaskCommandLine(line); got != "sh -c true x --token=*** not-on-the-line-Q7" {
		t.Errorf("MaskCommandLine = %q", got)
	}
}
