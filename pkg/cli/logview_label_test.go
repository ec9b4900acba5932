package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// TestConsoleLogItemLabelQuoted: a console line of an item's output names
// the item as step[label] before " | "; a label holding a bracket, a quote
// or a backslash is quoted with Go escapes, so that an item labelled
// `web-1] | deployed` cannot make a line read as another item's output,
// and a plain label (spaces included) is written as it is.
func TestConsoleLogItemLabelQuoted(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	line := func(label string) string {
		i := 1
		var out bytes.Buffer
		v := newLogView(&out, false, zerolog.InfoLevel, false)
		v.Event(engine.Event{Kind: engine.EventLog, RunID: "r1", Time: at, Step: "roll", Op: "shell.exec", Index: &i,
			Label: label, Stream: "stdout", Message: "ok"})
		v.w.Flush()
		_, rest, _ := strings.Cut(strings.TrimSuffix(out.String(), "\n"), " INF ")
		return rest
	}
	for label, want := range map[string]string{
		"web-2":             `roll[web-2] | ok`,
		"web 2":             `roll[web 2] | ok`,
		"web-1] | deployed": `roll["web-1] | deployed"] | ok`,
		`db["a"]`:           `roll["db[\"a\"]"] | ok`,
		`c:\tmp`:            `roll["c:\\tmp"] | ok`,
		"web-3\u202e":       `roll["web-3\u202e"] | ok`,
	} {
		if got := line(label); !strings.HasPrefix(got, want) {
			t.Errorf("label %q: line %q, want it to begin with %q", label, got, want)
		}
	}
}
