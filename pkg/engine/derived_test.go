package engine

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/redact"
)

// TestMaskValuesMadeOfSecrets checks that a value a playbook's expression
// made of a secret (upper, replace, a piece of split, trim, base64 of the
// secret with other text) is masked in the report and the log, as the
// secret is; that a short piece, and a text only decided by a secret, are
// not; and that a text holding the secret as it is keeps its other text.
func TestMaskValuesMadeOfSecrets(t *testing.T) {
	var logs bytes.Buffer
	e, _ := newEngine(t, WithLog(&logs, zerolog.InfoLevel))
	p := plan(t, e, header+`
inputs:
  token: {type: string, secret: true, default: "ghp_Zq9xT7pW4mKe2-RtY8vB3nL6"}
steps:
  - id: s
    op: control.set
    with:
      up: "${{ upper(inputs.token) }}"
      swapped: "${{ replace(inputs.token, '-', '.') }}"
      tail: "${{ split(inputs.token, '_')[1] }}"
      head: "${{ split(inputs.token, '_')[0] }}"
      trimmed: "${{ trim('  ' + lower(inputs.token) + '  ') }}"
      basic: "${{ toBase64('user:' + inputs.token) }}"
      bearer: "Bearer ${{ inputs.token }}"
      decided: "${{ inputs.token != '' ? 'token-configured' : 'token-missing' }}"
  - {id: say, op: control.log, with: {message: "up=${{ steps.s.output.up }} tail=${{ steps.s.output.tail }}"}}
outputs:
  basic: "${{ steps.s.output.basic }}"
  swapped: "${{ steps.s.output.swapped }}"
  shout: "${{ replace(inputs.token, 'ghp_', 'gho_') }}"
`)
	rep := mustRun(t, p, nil)
	tok := "ghp_Zq9xT7pW4mKe2-RtY8vB3nL6"
	made := []string{strings.ToUpper(tok), strings.ReplaceAll(tok, "-", "."), "Zq9xT7pW4mKe2-RtY8vB3nL6",
		strings.Replace(tok, "ghp_", "gho_", 1), strings.ToLower(tok), base64.StdEncoding.EncodeToString([]byte("user:" + tok)), tok}
	noLeak(t, "the report", dump(rep), made...)
	noLeak(t, "the log", logs.String(), made...)
	out, _ := rep.Steps[0].Output.(map[string]any)
	for k, want := range map[string]string{"head": "ghp", "decided": "token-configured", "bearer": "Bearer ***"} {
		if got := fmt.Sprint(out[k]); got != want {
			t.Errorf("output %s = %q, want %q", k, got, want)
		}
	}
}

// TestValuesMadeOfSecretsBounded checks that a run masks at most
// MaxDerivedSecrets values made of secrets, however many it makes.
func TestValuesMadeOfSecretsBounded(t *testing.T) {
	r := &run{red: redact.New("Zq9xT7pW4mKe2")}
	r.derived = &r.ownDerived
	for i := range MaxDerivedSecrets + 10 {
		r.addDerived(fmt.Sprintf("made-%04d-of-it", i))
	}
	if got := r.red.String("made-0000-of-it"); got != "***" {
		t.Errorf("the first value made of a secret shows: %q", got)
	}
	last := fmt.Sprintf("made-%04d-of-it", MaxDerivedSecrets)
	if got := r.red.String(last); got != last {
		t.Errorf("value %d past the limit was masked: %q", MaxDerivedSecrets+1, got)
	}
	if n := len(r.secrets()); n != MaxDerivedSecrets {
		t.Errorf("%d secrets kept, want %d", n, MaxDerivedSecrets)
	}
}
