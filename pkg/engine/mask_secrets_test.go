package engine

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// noLeak fails the test for each place text shows a secret.
func noLeak(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if i := strings.Index(text, s); i >= 0 {
			t.Errorf("%s shows %q: …%s…", what, s, text[max(0, i-60):min(len(text), i+len(s)+20)])
		}
	}
}

// TestMaskSecretMapValuesOneByOne checks that each value of a secret map
// input is masked when a step uses it on its own, in the report and in the
// log.
func TestMaskSecretMapValuesOneByOne(t *testing.T) {
	var logs bytes.Buffer
	e, _ := newEngine(t, WithLog(&logs, zerolog.InfoLevel))
	p := plan(t, e, header+`
inputs:
  creds: {type: map, secret: true, default: {user: admin-qq7, pass: pw-zz9-xx}}
  hosts: {type: list, secret: true, default: [h-aaa-1.example, h-bbb-2.example]}
steps:
  - {id: login, op: control.log, with: {message: "as ${{ inputs.creds.user }} / ${{ inputs.creds.pass }}"}}
  - {id: each, op: control.set, foreach: inputs.hosts, with: {host: "${{ item }}"}}
`)
	rep := mustRun(t, p, nil)
	noLeak(t, "the report", dump(rep), "admin-qq7", "pw-zz9-xx", "h-aaa-1", "h-bbb-2")
	noLeak(t, "the log", logs.String(), "admin-qq7", "pw-zz9-xx", "h-aaa-1", "h-bbb-2")
}

// TestMaskSecretNumbersInOutputs checks that a secret number, whole
// or not, stays masked once a step's output or the run's outputs carry it
// as a number rather than as text.
func TestMaskSecretNumbersInOutputs(t *testing.T) {
	e, _ := newEngine(t)
	p := plan(t, e, header+`
inputs:
  pin: {type: integer, secret: true, default: 4815162342}
  ratio: {type: number, secret: true, default: 0.8675309}
steps:
  - {id: s, op: control.set, with: {pin: "${{ inputs.pin }}", ratio: "${{ inputs.ratio }}"}}
outputs:
  pin: "${{ steps.s.output.pin }}"
  both: "${{ [inputs.pin, inputs.ratio] }}"
`)
	rep := mustRun(t, p, nil)
	noLeak(t, "the report", dump(rep), "4815162342", "8675309")
	if rep.Outputs["pin"] != "***" {
		t.Errorf("outputs.pin = %#v, want the mask", rep.Outputs["pin"])
	}
}

// TestMaskSecretInputNotQuotedInInputErrors checks that a value that does
// not fit a secret input is not quoted, whichever way it came (--input,
// the API, a playbook.run's inputs), while a plain input's still is.
func TestMaskSecretInputNotQuotedInInputErrors(t *testing.T) {
	e, _ := newEngine(t)
	p := plan(t, e, header+`
inputs:
  token: {type: string, secret: true, pattern: "[a-f0-9]{8}"}
  tier: {type: string, secret: true, enum: [gold, silver]}
  pin: {type: integer, secret: true}
  plain: {type: integer}
steps:
  - {id: a, op: control.noop}
`)
	_, err := p.ParseInputs(map[string]string{"pin": "pin-zz9", "tier": "tier-zz9", "plain": "plain-zz9"})
	if err == nil {
		t.Fatal("ParseInputs accepted bad values")
	}
	noLeak(t, "ParseInputs' error", err.Error(), "pin-zz9", "tier-zz9")
	if !strings.Contains(err.Error(), "plain-zz9") || !strings.Contains(err.Error(), "pin: the value does not fit this secret integer input (it is not shown)") {
		t.Errorf("ParseInputs: %v", err)
	}
	_, err = p.ResolveInputs(map[string]any{"token": "token-zz9", "tier": "tier-zz9", "pin": "pin-zz9"}, nil)
	if err == nil {
		t.Fatal("ResolveInputs accepted bad values")
	}
	noLeak(t, "ResolveInputs' error", err.Error(), "token-zz9", "tier-zz9", "pin-zz9")
	if !strings.Contains(err.Error(), "token: the value does not fit this secret string input") {
		t.Errorf("ResolveInputs: %v", err)
	}
}

// TestMaskSecretOutputInSubRun checks that an output an operation marks
// secret stays masked in a sub-run started after it: in the sub-run's log,
// its steps in the report and its outputs.
func TestMaskSecretOutputInSubRun(t *testing.T) {
	var logs bytes.Buffer
	e, _ := newEngine(t, WithLog(&logs, zerolog.InfoLevel))
	if err := RegisterPlaybookOp(e); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "child.yaml"), []byte(`version: 1
name: child
inputs:
  tok: {type: string}
steps:
  - {id: echo, op: control.set, with: {seen: "${{ inputs.tok }}"}}
outputs:
  tok: "${{ inputs.tok }}"
`), 0o644)
	parent := filepath.Join(dir, "parent.yaml")
	os.WriteFile(parent, []byte(`version: 1
name: parent
steps:
  - {id: gen, op: test.secret}
  - {id: sub, op: playbook.run, with: {path: child.yaml, inputs: {tok: "${{ steps.gen.output.token }}"}}}
`), 0o644)
	p, err := e.Load(parent)
	if err != nil {
		t.Fatal(err)
	}
	rep := mustRun(t, p, nil)
	sub := stepOf(t, rep, "sub").Sub
	if sub == nil || sub.Status != report.StatusSucceeded {
		t.Fatalf("sub-run: %+v", sub)
	}
	if sub.Outputs["tok"] != "***" {
		t.Errorf("the sub-run's output: %#v", sub.Outputs["tok"])
	}
	noLeak(t, "the report", dump(rep), "generated-token-123")
	noLeak(t, "the log", logs.String(), "generated-token-123")
}

// TestMaskLogSecretWithEscapes checks that a secret the log's JSON escapes
// (a quote, a backslash, a control character) is masked in the log, alone
// in a message or already quoted inside one.
func TestMaskLogSecretWithEscapes(t *testing.T) {
	for _, secret := range []string{`back\slash-zz9`, `quo"te-zz9`, "tab\tbed-zz9"} {
		var logs bytes.Buffer
		e, _ := newEngine(t, WithLog(&logs, zerolog.InfoLevel))
		p := plan(t, e, header+`
inputs:
  token: {type: string, secret: true}
steps:
  - {id: raw, op: control.log, with: {message: "${{ inputs.token }}"}}
  - {id: json, op: control.log, with: {message: "${{ toJSON([inputs.token]) }}"}}
  - {id: quoted, op: control.set, with: {n: "${{ int(inputs.token) }}"}, continue_on_error: true}
`)
		rep := mustRun(t, p, map[string]any{"token": secret})
		if s := stepOf(t, rep, "quoted"); s.Status != report.StatusFailed {
			t.Fatalf("int() of the secret: %s", s.Status)
		}
		noLeak(t, "the report", dump(rep), "zz9")
		noLeak(t, "the log", logs.String(), "zz9")
		if n := strings.Count(logs.String(), `***`); n < 3 {
			t.Errorf("the log masks %d times, want at least 3:\n%s", n, logs.String())
		}
	}
}

// TestMaskSubRunFinallyOnCallerTimeout checks that a sub-run's finally runs
// when the calling playbook's timeout (not the step's) ends the sub-run: it
// gets the handler budget, as the caller's own finally does.
func TestMaskSubRunFinallyOnCallerTimeout(t *testing.T) {
	e, _ := newEngine(t, WithHandlerBudget(5*time.Second))
	if err := RegisterPlaybookOp(e); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "child.yaml"), []byte(`version: 1
name: child
steps:
  - {id: work, op: control.sleep, with: {duration: 10s}}
finally:
  - {id: unlock, op: control.sleep, with: {duration: 100ms}}
`), 0o644)
	parent := filepath.Join(dir, "parent.yaml")
	os.WriteFile(parent, []byte(`version: 1
name: parent
timeout: 200ms
steps:
  - {id: sub, op: playbook.run, with: {path: child.yaml}}
`), 0o644)
	p, err := e.Load(parent)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rep := mustRun(t, p, nil)
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("the run took %s", took)
	}
	if rep.Status != report.StatusFailed || rep.Error == nil || rep.Error.Class != "timeout" {
		t.Errorf("run: %s %+v", rep.Status, rep.Error)
	}
	sub := stepOf(t, rep, "sub").Sub
	if sub == nil || len(sub.Steps) != 2 {
		t.Fatalf("the sub-run's record: %+v", sub)
	}
	if u := sub.Steps[1]; u.ID != "unlock" || u.Status != report.StatusSucceeded {
		t.Errorf("the sub-run's finally: %s %s %s %+v", u.ID, u.Status, u.Reason, u.Error)
	}
}

// TestSecretInputMismatchSaysWhatToGive: a value that does not fit a
// secret input is not quoted, but the message says what the input wants
// (its type and bounds or pattern, not its enum's values). Before, it
// said only that the value did not fit, and the user had to read the
// playbook to learn whether the type, a bound or the pattern was at fault.
func TestSecretInputMismatchSaysWhatToGive(t *testing.T) {
	e, _ := newEngine(t)
	p := plan(t, e, header+`
inputs:
  pin: {type: integer, secret: true, min: 1000, max: 9999}
  token: {type: string, secret: true, pattern: "[a-f0-9]{8}"}
  keys: {type: list, secret: true, default: []}
  tier: {type: string, secret: true, enum: [gold, silver], default: gold}
steps:
  - {id: a, op: control.noop}
`)
	_, err := p.ParseInputs(map[string]string{"pin": "123456", "token": "tok-zz9", "keys": "[key-zz9", "tier": "gol"})
	if err == nil {
		t.Fatal("ParseInputs accepted bad values")
	}
	noLeak(t, "ParseInputs' error", err.Error(), "123456", "tok-zz9", "key-zz9", "gol,", "silver")
	for _, want := range []string{
		"pin: the value does not fit this secret integer input (it is not shown); give an integer between 1000 and 9999",
		`token: the value does not fit this secret string input (it is not shown); give a string matching "[a-f0-9]{8}" whole`,
		`keys: the value does not fit this secret list input (it is not shown); give a list (as JSON, like ["a","b"], when given as text)`,
		"tier: the value does not fit this secret string input (it is not shown); give a string that is one of the values its enum lists",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ParseInputs: %v\nwant it to hold %q", err, want)
		}
	}
}
