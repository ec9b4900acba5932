package cli

import (
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestRemoteInputSecretNotQuoted: remote run's --input of a secret input
// whose text is not of its type says what is wanted without quoting the
// text (it printed `want an integer, got "12a4"`, the secret itself); a
// plain input's text is still quoted.
func TestRemoteInputSecretNotQuoted(t *testing.T) {
	declared := map[string]*steps.Input{
		"pin":   {Name: "pin", Type: steps.InputInteger, Secret: true},
		"count": {Name: "count", Type: steps.InputInteger},
	}
	_, err := values("input", []string{"pin=12a4"}, declared)
	if err == nil || strings.Contains(err.Error(), "12a4") || !strings.Contains(err.Error(), "--input pin: ") {
		t.Errorf("secret: %v", err)
	}
	_, err = values("input", []string{"count=abc"}, declared)
	if err == nil || !strings.Contains(err.Error(), `--input count: want an integer, got "abc"`) {
		t.Errorf("plain: %v", err)
	}
}
