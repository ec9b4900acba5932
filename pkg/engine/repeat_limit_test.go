package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// repeatEvery is a playbook whose step polls with every from an input.
const repeatEvery = header + `
inputs:
  every: {type: duration, default: 1ns}
steps:
  - id: poll
    op: control.noop
    repeat: {until: attempt >= 3, every: "${{ inputs.every }}", timeout: 1h}
`

// TestRepeatEveryFromExpressionOverAttemptsLimitFails: an every from ${{ }}
// that would try the step more than 100,000 times fails it with class
// validation before its first attempt, in the words validate uses for the
// same every written literally.
func TestRepeatEveryFromExpressionOverAttemptsLimitFails(t *testing.T) {
	e, _ := newEngine(t)
	path := filepath.Join(t.TempDir(), "lit.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(repeatEvery, `"${{ inputs.every }}"`, "1ns", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	const words = "repeat would try up to 3600000000000 times (timeout 1h / every 1ns), over the limit of 100000; wait longer between attempts"
	if _, err := steps.Load(path, e.Registry()); err == nil || !strings.Contains(err.Error(), words) {
		t.Fatalf("the literal every: %v", err)
	}
	s := stepOf(t, mustRun(t, plan(t, e, repeatEvery), nil), "poll")
	if s.Status != report.StatusFailed || s.Attempts != 0 || s.Error == nil || s.Error.Class != "validation" || !strings.Contains(s.Error.Message, words) {
		t.Errorf("poll %s after %d attempts, error %+v; want class validation saying %q", s.Status, s.Attempts, s.Error, words)
	}
	if s.Error != nil && !strings.Contains(s.Error.Message, "pb.yaml:9:47: repeat.every: `inputs.every` gave 1ns") {
		t.Errorf("the error does not point at the expression: %s", s.Error.Message)
	}
}

// TestRepeatEveryFromExpressionAtAttemptsLimitRuns: exactly 100,000
// attempts (1h / 36ms) is within the limit, as it is for validate.
func TestRepeatEveryFromExpressionAtAttemptsLimitRuns(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, strings.Replace(repeatEvery, "attempt >= 3", "attempt >= 1", 1)), map[string]any{"every": "36ms"})
	if s := stepOf(t, rep, "poll"); s.Status != report.StatusSucceeded {
		t.Errorf("poll %s: %+v", s.Status, s.Error)
	}
}
