package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestOutputBudget checks that once a run's output budget is spent, item
// outputs keep their numbers and the tail of their strings, expressions see
// the same, and the report says what was cut.
func TestOutputBudget(t *testing.T) {
	e, _ := newEngine(t, WithOutputBudget(200<<10))
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: fan, op: test.spew, foreach: 0..39, with: {size: 10240}}
  - {id: last, op: control.set, with: {code: "${{ steps.fan.items[39].output.exit_code }}", end: "${{ steps.fan.output[39].stdout }}"}}
`), nil)
	fan := stepOf(t, rep, "fan")
	whole, compacted := 0, 0
	for _, it := range fan.Items {
		out := it.Output.(map[string]any)
		if out["exit_code"] != 3 || !strings.HasSuffix(out["stdout"].(string), "tail") {
			t.Fatalf("item %d lost its exit code or tail: %v", it.Index, out["exit_code"])
		}
		if len(out["stdout"].(string)) == 10240 {
			whole++
			continue
		}
		compacted++
		if s := out["stdout"].(string); len(s) > 2<<10 || !strings.Contains(s, "cut 9216 bytes: over the run's output budget") {
			t.Fatalf("item %d: compacted stdout of %d bytes: %.80q", it.Index, len(s), s)
		}
	}
	if whole < 15 || whole > 20 || whole+compacted != 40 {
		t.Errorf("%d outputs whole, %d compacted; a 200 KiB budget holds 19 or so of 10 KiB", whole, compacted)
	}
	if diff := cmp.Diff(&report.Cut{Outputs: compacted, Bytes: int64(compacted) * 9216}, fan.Cut); diff != "" {
		t.Errorf("step cut (-want +got):\n%s", diff)
	}
	b := rep.OutputBudget
	if b == nil || b.LimitBytes != 200<<10 || b.CutOutputs != int64(compacted) || b.CutBytes != int64(compacted)*9216 || b.KeptBytes > b.LimitBytes {
		t.Errorf("report output_budget: %+v", b)
	}
	last := stepOf(t, rep, "last").Output.(map[string]any)
	if last["code"] != 3 || !strings.HasPrefix(last["end"].(string), "…[cut 9216 bytes") {
		t.Errorf("expressions see %v %.40q", last["code"], last["end"])
	}
}

// TestOutputBudgetTails checks that once the tails of compacted outputs
// add up to a quarter of the budget, later outputs keep short values only.
func TestOutputBudgetTails(t *testing.T) {
	e, _ := newEngine(t, WithOutputBudget(20<<10))
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: fan, op: test.spew, foreach: 0..39, with: {size: 10240}}
`), nil)
	last := stepOf(t, rep, "fan").Items[39].Output
	want := map[string]any{"exit_code": 3, "stdout": "[cut 10240 bytes: over the run's output budget]"}
	if diff := cmp.Diff(want, last); diff != "" {
		t.Errorf("last item (-want +got):\n%s", diff)
	}
}

// TestOutputBudgetBoundsMemory runs a fan-out of 1,000 items that each
// return a fresh megabyte and checks that the run keeps a bounded amount,
// not a gigabyte.
func TestOutputBudgetBoundsMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a gigabyte in passing")
	}
	e, _ := newEngine(t)
	p := plan(t, e, header+`
steps:
  - {id: fan, op: test.spew, foreach: 0..999, concurrency: 4, with: {size: 1048576}}
  - {id: heap, op: test.heap}
`)
	rep := mustRun(t, p, nil)
	if heap := stepOf(t, rep, "heap").Output.(map[string]any)["heap_mib"].(int); heap > 400 {
		t.Errorf("%d MiB in use after the fan-out, want well under the gigabyte its outputs add up to", heap)
	}
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 128<<20 {
		t.Errorf("report of %d MiB", len(data)>>20)
	}
	if rep.Status != report.StatusSucceeded || rep.OutputBudget == nil || rep.OutputBudget.CutOutputs < 900 {
		t.Errorf("run %s, budget %+v", rep.Status, rep.OutputBudget)
	}
}

// TestLargeFanoutReportIsCompact checks that past ReportItemsInFull items
// the report keeps each item's status and timing but not its value or
// output, and that the totals stay whole.
func TestLargeFanoutReportIsCompact(t *testing.T) {
	e, _ := newEngine(t)
	n := ReportItemsInFull + 500
	rep := mustRun(t, plan(t, e, header+fmt.Sprintf(`
steps:
  - id: fan
    op: control.set
    foreach: 0..%d
    concurrency: 8
    with: {i: "${{ item }}", text: "${{ item == %d ? 'x' : 'some output of this item' }}"}
  - {id: after, op: control.assert, with: {that: "${{ steps.fan.items[%d].output.i == %d }}"}}
  - id: bad
    op: test.busy
    foreach: 0..%d
    concurrency: 8
    fail_fast: false
    continue_on_error: true
    needs: []
    with: {fail: "${{ item == %d }}", wait: 1ms}
`, n-1, n-1, n-1, n-1, n-1, n-1)), nil)
	fan := stepOf(t, rep, "fan")
	if len(fan.Items) != n {
		t.Fatalf("%d items", len(fan.Items))
	}
	if diff := cmp.Diff(map[report.Status]int{"succeeded": n}, fan.ItemCounts); diff != "" {
		t.Errorf("item_counts (-want +got):\n%s", diff)
	}
	if fan.Cut == nil || fan.Cut.Items != 500 {
		t.Errorf("cut %+v, want 500 items recorded in part", fan.Cut)
	}
	full, part := fan.Items[ReportItemsInFull-1], fan.Items[ReportItemsInFull]
	if full.Item == nil || full.Output == nil {
		t.Errorf("item %d should be whole: %+v", full.Index, full)
	}
	if part.Item != nil || part.Output != nil || part.Status != report.StatusSucceeded || part.StartedAt == nil || part.Attempts != 1 {
		t.Errorf("item %d should keep status and timing only: %+v", part.Index, part)
	}
	bad := stepOf(t, rep, "bad")
	if diff := cmp.Diff(map[report.Status]int{"succeeded": n - 1, "failed": 1}, bad.ItemCounts); diff != "" {
		t.Errorf("item_counts of bad (-want +got):\n%s", diff)
	}
	if it := bad.Items[n-1]; it.Item != n-1 || it.Error == nil || it.Status != report.StatusFailed {
		t.Errorf("a failed item past the threshold keeps its item and error: %+v", it)
	}
	if s := stepOf(t, rep, "after"); s.Status != report.StatusSucceeded {
		t.Errorf("expressions lost item outputs past the report's threshold: %+v", s.Error)
	}
}

// TestProcessLogIsCapped checks that live process output in the log keeps a
// head and a tail per step with a marker, not everything.
func TestProcessLogIsCapped(t *testing.T) {
	e, _ := newEngine(t)
	var out bytes.Buffer
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: loud, op: test.spew, with: {size: 4, lines: 200000}}
  - {id: fan, op: test.spew, foreach: 0..2, with: {size: 4, lines: 100000}}
  - {id: quiet, op: test.spew, with: {size: 4, lines: 3}}
`), nil, WithProcessOutput(&out))
	if rep.Status != report.StatusSucceeded {
		t.Fatalf("run %s", rep.Status)
	}
	log := out.String()
	if len(log) > 2*(LogHeadBytes+LogTailBytes)+64<<10 {
		t.Errorf("log of %d KiB for 500,000 lines; the two noisy steps may write about %d KiB each", len(log)>>10, (LogHeadBytes+LogTailBytes)>>10)
	}
	for _, want := range []string{
		"loud | line 0\n", "loud | line 199999\n", "lines cut (the step's log limit) …\n",
		"fan[0] | line 0\n", "fan[2] | line 99999\n",
		"quiet | line 0\nquiet | line 1\nquiet | line 2\n",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	cutLine := log[strings.Index(log, "loud | … "):]
	cutLine = cutLine[:strings.IndexByte(cutLine, '\n')]
	var n int
	if _, err := fmt.Sscanf(cutLine, "loud | … %d lines cut", &n); err != nil || n < 150000 {
		t.Errorf("marker %q", cutLine)
	}
}

// TestProcessLogHidesASecretAcrossALongLinesCut checks that a line longer
// than the log keeps, written in small pieces, shows no part of a secret
// its cut goes through, and that its rest does not come out as lines of
// its own (each beginning with the rest of the secret).
func TestProcessLogHidesASecretAcrossALongLinesCut(t *testing.T) {
	for _, secret := range []string{"S3CRET-abcdefghijklmnop", "S3CRET-abcd" + strings.Repeat("q", 5<<10) + "mnop"} {
		t.Run(fmt.Sprint(len(secret)), func(t *testing.T) { processLogHidesASecret(t, secret) })
	}
}

// writeInPieces writes line to w 1000 bytes at a time, as a process's
// output comes.
func writeInPieces(w io.Writer, line string) {
	for len(line) > 0 {
		n := min(1000, len(line))
		w.Write([]byte(line[:n]))
		line = line[n:]
	}
}

func processLogHidesASecret(t *testing.T, secret string) {
	e := New(registry(t, func(r *ops.Registry) {
		r.MustRegister(ops.Spec{Name: "test.longline", Risk: ops.RiskRead, StreamsOutput: true, Params: []ops.Param{{Name: "token", Type: ops.TypeString}}},
			ops.Func(func(ctx context.Context, p ops.Params) (map[string]any, error) {
				line := strings.Repeat("x", logMaxLine-5) + p.String("token") + strings.Repeat("y", 3*logMaxLine) + "\nnext\n"
				writeInPieces(ops.CallFrom(ctx).Output, line)
				return map[string]any{}, nil
			}))
	}))
	var out bytes.Buffer
	rep := mustRun(t, plan(t, e, header+`
inputs:
  token: {type: string, secret: true}
steps:
  - {id: long, op: test.longline, with: {token: "${{ inputs.token }}"}}
`), map[string]any{"token": secret}, WithProcessOutput(&out))
	if rep.Status != report.StatusSucceeded {
		t.Fatalf("run %s", rep.Status)
	}
	log := out.String()
	for _, part := range []string{"S3CR", "abcd", "mnop"} {
		if strings.Contains(log, part) {
			t.Errorf("part %q of the secret shows in the log", part)
		}
	}
	if want := fmt.Sprintf(" …[%d bytes cut]\nlong | next\n", len(secret)+3*logMaxLine-5); !strings.HasSuffix(log, want) || strings.Count(log, "\n") != 2 {
		t.Errorf("log of %d lines, ending %q; want the long line cut once, then next", strings.Count(log, "\n"), log[max(len(log)-60, 0):])
	}
}

// TestProcessLogMasksEachLineOfAMultiLineSecret checks that a secret of
// several lines (a private key) printed line by line is masked in the live
// log, where each line is masked alone (its token-like text; its header is
// ordinary text), as well as in the report.
func TestProcessLogMasksEachLineOfAMultiLineSecret(t *testing.T) {
	const key = "-----BEGIN TEST KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END TEST KEY-----\n"
	e := New(registry(t, func(r *ops.Registry) {
		r.MustRegister(ops.Spec{Name: "test.print", Risk: ops.RiskRead, StreamsOutput: true, Params: []ops.Param{{Name: "text", Type: ops.TypeString}}},
			ops.Func(func(ctx context.Context, p ops.Params) (map[string]any, error) {
				for _, l := range strings.SplitAfter(p.String("text"), "\n") {
					ops.CallFrom(ctx).Output.Write([]byte(l))
				}
				return map[string]any{"stdout": p.String("text")}, nil
			}))
	}))
	var out bytes.Buffer
	rep := mustRun(t, plan(t, e, header+`
inputs:
  key: {type: string, secret: true}
steps:
  - {id: show, op: test.print, with: {text: "${{ inputs.key }}"}}
`), map[string]any{"key": key}, WithProcessOutput(&out))
	for _, part := range []string{"MIIEvQIBADAN", "BKcwggSjAgEAAoIBAQC7"} {
		if strings.Contains(out.String(), part) {
			t.Errorf("the live log shows %q:\n%s", part, out.String())
		}
	}
	if !strings.Contains(out.String(), "show | -----BEGIN TEST KEY-----\n") {
		t.Errorf("the key's header, ordinary text, is masked:\n%s", out.String())
	}
	if got := stepOf(t, rep, "show").Output.(map[string]any)["stdout"]; got != "***" {
		t.Errorf("report stdout %q", got)
	}
}

// TestProcessLogCountsTheOperationsCut checks that a line the operation
// already cut (a shell step cuts its lines to 64 KiB, with a note of how
// much it cut) says, once the log cuts it again, how many bytes of the
// line the process printed are missing, not only the log's own cut.
func TestProcessLogCountsTheOperationsCut(t *testing.T) {
	const printed, opKept = 300_000, 64 << 10
	e := New(registry(t, func(r *ops.Registry) {
		r.MustRegister(ops.Spec{Name: "test.cutline", Risk: ops.RiskRead, StreamsOutput: true},
			ops.Func(func(ctx context.Context, p ops.Params) (map[string]any, error) {
				line := strings.Repeat("x", opKept) + termtext.CutNote(printed-opKept) + "\nnext\n"
				writeInPieces(ops.CallFrom(ctx).Output, line)
				return map[string]any{}, nil
			}))
	}))
	var out bytes.Buffer
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: long, op: test.cutline}
`), nil, WithProcessOutput(&out))
	if rep.Status != report.StatusSucceeded {
		t.Fatalf("run %s", rep.Status)
	}
	want := "long | " + strings.Repeat("x", logMaxLine) + termtext.CutNote(printed-logMaxLine) + "\nlong | next\n"
	if log := out.String(); log != want {
		t.Errorf("log ends %q, want it to end %q", log[max(len(log)-60, 0):], want[len(want)-60:])
	}
}
