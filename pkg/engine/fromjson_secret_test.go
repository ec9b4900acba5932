package engine

import (
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// fromJSON() given a text that is not JSON says why in the decoder's
// words, which quote the character where it stopped: masking hides a
// secret whole, not one of its characters, so for a text that holds a
// secret the error says it is not shown instead.
func TestFromJSONOfASecretQuotesNoCharacter(t *testing.T) {
	e := New(registry(t))
	p := plan(t, e, header+`
inputs:
  token: {type: string, secret: true}
  plain: {type: string}
steps:
  - {id: secret, op: control.set, with: {x: "${{ fromJSON(inputs.token).x }}"}, continue_on_error: true}
  - {id: wrapped, op: control.set, with: {x: "${{ fromJSON('{\"a\": ' + inputs.token + '}').x }}"}, continue_on_error: true}
  - {id: plain, op: control.set, with: {x: "${{ fromJSON(inputs.plain).x }}"}, continue_on_error: true}
`)
	rep := mustRun(t, p, map[string]any{"token": "Qz7-not-json-token", "plain": "xyz"})
	msgs := map[string]string{}
	for _, s := range rep.Steps {
		if s.Status != report.StatusFailed || s.Error == nil {
			t.Fatalf("step %s %s; want it failed", s.ID, s.Status)
		}
		msgs[s.ID] = s.Error.Message
	}
	for _, id := range []string{"secret", "wrapped"} {
		if strings.Contains(msgs[id], "'Q'") || strings.Contains(msgs[id], "invalid character") {
			t.Errorf("step %s: %q quotes a character of the secret", id, msgs[id])
		}
		if !strings.Contains(msgs[id], "holds a secret") {
			t.Errorf("step %s: %q; want it to say the text holds a secret", id, msgs[id])
		}
	}
	if !strings.Contains(msgs["plain"], "invalid character 'x' looking for beginning of value") {
		t.Errorf("plain: %q; a text with no secret keeps the decoder's hint", msgs["plain"])
	}
}
