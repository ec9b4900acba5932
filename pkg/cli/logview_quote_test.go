package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// TestConsoleLogFieldsQuoted: a console line's field whose value holds a
// space, an = or a quote is quoted, as zerolog's console lines of
// `schedule` and `serve` quote it, so a step's stderr carried in the
// error cannot read as the line's own fields; a plain value is written as
// it is.
func TestConsoleLogFieldsQuoted(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	v := newLogView(&out, false, zerolog.InfoLevel, false)
	v.Event(engine.Event{Kind: engine.EventStepFinished, RunID: "r1", Time: at, Step: "deploy", Op: "shell.exec",
		Status: "failed", Attempts: 1, DurationMS: 15, ErrClass: "execution",
		Err: "exit code 1; stderr ends with:\nx status=succeeded step=deploy"})
	v.Event(engine.Event{Kind: engine.EventRetry, RunID: "r1", Time: at, Step: "deploy", Attempt: 2,
		Message: `out.code=="ok"`})
	v.Event(engine.Event{Kind: engine.EventRunFinished, RunID: "r1", Time: at, Status: "failed",
		Err: "a\u202e\u009b2J\x1b[31m\\b"})
	v.w.Flush()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	want := []string{
		` ERR step finished status=failed attempts=1 duration=15ms error_class=execution error="exit code 1; stderr ends with:\nx status=succeeded step=deploy" step=deploy op=shell.exec run_id=r1`,
		` INF retrying attempt=2 delay=0ms condition="out.code==\"ok\"" step=deploy run_id=r1`,
		` ERR run finished status=failed duration=0ms error="a\u202e\u009b2J\x1b[31m\\b" run_id=r1`,
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	for i, line := range lines {
		if _, rest, _ := strings.Cut(line, " "); " "+rest != want[i] {
			t.Errorf("line %d\n got %q\nwant %q", i, line, want[i])
		}
	}
}
