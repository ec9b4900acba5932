package report

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func renderMarkdown(t testing.TB, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteMarkdown(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestAppendStepSummary(t *testing.T) {
	r := loadGolden(t, "failure-retries")
	path := filepath.Join(t.TempDir(), "summary.md")
	if err := os.WriteFile(path, []byte("earlier step\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := AppendStepSummary(path, r); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("earlier step\n\n"+renderMarkdown(t, r), string(got)); diff != "" {
		t.Errorf("summary file (-want +got):\n%s", diff)
	}

	if err := AppendStepSummary("", r); err != nil {
		t.Errorf("without GITHUB_STEP_SUMMARY: %v", err)
	}
	if err := AppendStepSummary(filepath.Join(t.TempDir(), "missing-dir", "x.md"), r); err == nil {
		t.Error("no error for an unwritable summary file")
	}
}

// TestAppendStepSummaryRefusesAFIFO: a summary path that is a FIFO nobody
// reads is refused at once instead of blocking the end of the run.
func TestAppendStepSummaryRefusesAFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "summary")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- AppendStepSummary(fifo, loadGolden(t, "success")) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "named pipe") {
			t.Errorf("AppendStepSummary(fifo) = %v; want it refused", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("AppendStepSummary blocked on a FIFO")
	}
}

// TestMarkdownTableStaysIntact checks that cell text cannot add columns,
// rows or markup.
func TestMarkdownTableStaysIntact(t *testing.T) {
	start := goldenStart
	nasty := "a | b <details>**bold** `code` [link](x) \x1b[31mred\x1b[0m\n| c | d |"
	r := &Report{
		ReportVersion: FormatVersion, RunID: "r`|", Playbook: Playbook{Name: "p"}, Status: StatusFailed,
		StartedAt: start, FinishedAt: start,
		Steps: []Step{{ID: "s", Op: "x.y", Section: "steps", Status: StatusFailed, StartedAt: &start, Attempts: 1,
			Error: &Error{Class: "execution", Message: nasty}, Output: map[string]any{"stdout": "```\nfenced\n````\n"}}},
	}
	md := renderMarkdown(t, r)
	var row string
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| ❌ | `s`") {
			row = line
		}
	}
	if row == "" {
		t.Fatalf("no row for step s in:\n%s", md)
	}
	cells := strings.Count(strings.ReplaceAll(row, `\|`, ""), "|")
	if cells != 8 {
		t.Errorf("row has %d unescaped pipes, want 8: %s", cells, row)
	}
	for _, bad := range []string{"<details>**", "\x1b", "[link](x)"} {
		if strings.Contains(row, bad) {
			t.Errorf("row contains %q: %s", bad, row)
		}
	}
	if !strings.Contains(md, "`````text\nstdout:\n  ```\n  fenced\n  ````\n`````") {
		t.Errorf("output block is not fenced longer than its content:\n%s", md)
	}
}

// TestMarkdownReusedNoteOnce: a reused step's reason names the run it
// was reused from; its note says so once, and says it was reused only
// when the report gives no reason.
func TestMarkdownReusedNoteOnce(t *testing.T) {
	start := goldenStart
	r := &Report{
		ReportVersion: FormatVersion, RunID: "r2", ResumedFrom: "r1", Playbook: Playbook{Name: "p"}, Status: StatusSucceeded,
		StartedAt: start, FinishedAt: start,
		Steps: []Step{
			{ID: "a", Op: "x.y", Section: "steps", Status: StatusSucceeded, Reused: true, Reason: "reused from run r1"},
			{ID: "b", Op: "x.y", Section: "steps", Status: StatusSucceeded, Reused: true},
		},
	}
	md := renderMarkdown(t, r)
	rows := map[string]string{}
	for _, line := range strings.Split(md, "\n") {
		for _, id := range []string{"a", "b"} {
			if strings.HasPrefix(line, "| ✅ | `"+id+"`") {
				rows[id] = line
			}
		}
	}
	if a := rows["a"]; strings.Count(a, "reused") != 1 || !strings.Contains(a, "reused from run r1") {
		t.Errorf("row of a step reused with a reason: %q", a)
	}
	if b := rows["b"]; !strings.Contains(b, "reused from the earlier run") {
		t.Errorf("row of a step reused without a reason: %q", b)
	}
}

// TestReusedStepOfNoTimeShowsItsTime: a step reused from the resumed run
// has no start in this run; one that ran there in 0ms reads 0ms in
// Markdown and HTML, as in the text summary, not the dash of a step that
// never ran.
func TestReusedStepOfNoTimeShowsItsTime(t *testing.T) {
	r := &Report{
		ReportVersion: FormatVersion, RunID: "r2", ResumedFrom: "r1", Playbook: Playbook{Name: "p"}, Status: StatusSucceeded,
		StartedAt: goldenStart, FinishedAt: goldenStart,
		Steps: []Step{{ID: "quick", Op: "control.log", Section: "steps", Status: StatusSucceeded, Attempts: 1, Reused: true, Reason: "reused from run r1"}},
	}
	if row := lineWith(renderMarkdown(t, r), "`quick`"); !strings.Contains(row, "| succeeded | 0ms | 1 |") {
		t.Errorf("Markdown row = %q, want the time 0ms", row)
	}
	if page := renderHTML(t, r); !strings.Contains(page, "· control.log · succeeded · 0ms · 1 attempt") {
		t.Errorf("HTML step header lacks the time 0ms:\n%s", lineWith(page, "quick <span"))
	}
	if row := lineWith(renderText(t, r), "quick"); !strings.Contains(row, "0ms") {
		t.Errorf("text row = %q, want the time 0ms", row)
	}
}

func TestMarkdownBounded(t *testing.T) {
	start := goldenStart
	r := &Report{ReportVersion: FormatVersion, RunID: "r", Playbook: Playbook{Name: "p"}, Status: StatusFailed, StartedAt: start, FinishedAt: start}
	big := strings.Repeat("x", MaxString)
	for i := range 100 {
		s := Step{ID: fmt.Sprintf("s%d", i), Op: "x.y", Section: "steps", Status: StatusFailed, StartedAt: &start, Attempts: 1,
			Error: &Error{Class: "execution", Message: big}, Output: map[string]any{"stdout": big}}
		for j := range 50 {
			s.AttemptLog = append(s.AttemptLog, Attempt{Attempt: j + 1, StartedAt: start, Error: &Error{Class: "execution", Message: big}})
			s.Items = append(s.Items, Item{Index: j, Item: big, Status: StatusFailed, Error: &Error{Class: "execution", Message: big}})
		}
		r.Steps = append(r.Steps, s)
	}
	md := renderMarkdown(t, r)
	if len(md) > mdTotalLimit+100 {
		t.Errorf("summary is %d bytes, limit %d", len(md), mdTotalLimit)
	}
	if n := strings.Count(md, "<details>"); n > mdMaxDetails {
		t.Errorf("%d details blocks, want at most %d", n, mdMaxDetails)
	}
}

// TestMarkdownEscapesEveryField: a report read from disk (report show) may
// hold anything in any field, the statuses and the playbook name included;
// none of it becomes markup, a table column or a line of its own.
func TestMarkdownEscapesEveryField(t *testing.T) {
	start := goldenStart
	nasty := "<img src=x onerror=alert(1)> | **x** `y`\n# heading"
	st := Status(nasty)
	r := &Report{
		ReportVersion: FormatVersion, RunID: nasty, ResumedFrom: nasty, Playbook: Playbook{Name: nasty}, Roles: []string{nasty},
		Status: st, StartedAt: start, FinishedAt: start, Error: &Error{Class: nasty, Message: nasty},
		Steps: []Step{{ID: nasty, Op: nasty, Section: nasty, Status: StatusFailed, StartedAt: &start, Attempts: 1, Reason: nasty,
			Error:      &Error{Class: nasty, Message: nasty},
			AttemptLog: []Attempt{{Attempt: 1, StartedAt: start, Error: &Error{Class: nasty, Message: nasty}}},
			Items:      []Item{{Index: 0, Item: nasty, Status: st, Reason: nasty, Error: &Error{Class: nasty, Message: nasty}}},
			Output:     map[string]any{nasty: nasty}},
			{ID: "t", Op: "x.y", Section: "steps", Status: st, Attempts: 1}},
		Outputs:      map[string]any{nasty: nasty},
		OutputErrors: map[string]string{nasty: nasty},
	}
	md := renderMarkdown(t, r)
	// Inside fenced code blocks and code spans text is shown as it is,
	// which is safe: look at the rest.
	// The <summary> line is HTML, where Markdown is not interpreted.
	prose := withoutCode(md)
	for _, line := range strings.Split(prose, "\n") {
		if strings.Contains(line, "<img") {
			t.Errorf("a field became markup: %q", line)
		}
		if strings.Contains(line, "**x**") && !strings.HasPrefix(line, "<summary>") {
			t.Errorf("a field became Markdown: %q", line)
		}
		if strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "### ") {
			t.Errorf("a field made a line of its own: %q", line)
		}
	}
	// The step table's rows keep their 8 pipes (7 cells).
	rows := 0
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| ❌ | `") || strings.HasPrefix(line, "| ❔ | `t`") {
			rows++
			if n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|"); n != 8 {
				t.Errorf("step row has %d unescaped pipes, want 8: %s", n, line)
			}
		}
	}
	if rows != 2 {
		t.Errorf("found %d step rows, want 2:\n%s", rows, md)
	}
}

// withoutCode drops fenced code blocks and code spans from Markdown.
func withoutCode(md string) string {
	var b strings.Builder
	fence := ""
	for _, line := range strings.Split(md, "\n") {
		switch {
		case fence == "" && strings.HasPrefix(line, "```"):
			fence = strings.TrimRight(line, "abcdefghijklmnopqrstuvwxyz")
		case fence != "" && line == fence:
			fence = ""
		case fence == "":
			b.WriteString(codeSpan.ReplaceAllString(line, "CODE") + "\n")
		}
	}
	return b.String()
}

var codeSpan = regexp.MustCompile("(?:^|[^\\\\])`[^`]*`")

// TestMarkdownDetailsRunFailuresFirst: many failures ignored by
// continue_on_error, or rescued, before the step that failed the run must
// not take all the <details> blocks; the steps that failed the run (a
// denied one too) get theirs first.
func TestMarkdownDetailsRunFailuresFirst(t *testing.T) {
	start := goldenStart
	r := &Report{ReportVersion: FormatVersion, RunID: "r", Playbook: Playbook{Name: "p"}, Status: StatusFailed, StartedAt: start, FinishedAt: start}
	fail := func(id string) Step {
		return Step{ID: id, Op: "x.y", Section: "steps", Status: StatusFailed, StartedAt: &start, Attempts: 1, Error: &Error{Class: "execution", Message: id + " broke"}}
	}
	for i := range mdMaxDetails + 1 {
		s := fail(fmt.Sprintf("lint%02d", i))
		s.Ignored = true
		r.Steps = append(r.Steps, s)
	}
	rescued := fail("migrate")
	rescued.Rescued = true
	r.Steps = append(r.Steps, rescued, fail("deploy"),
		Step{ID: "gate", Op: "x.y", Section: "steps", Status: StatusDenied, Reason: "no rule allows it"})
	md := renderMarkdown(t, r)
	var got []string
	for _, m := range regexp.MustCompile(`<summary>\S+ <code>([^<]*)</code>`).FindAllStringSubmatch(md, -1) {
		got = append(got, m[1])
	}
	want := []string{"deploy", "gate"}
	for i := range mdMaxDetails - 2 {
		want = append(want, fmt.Sprintf("lint%02d", i))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps with <details> (-want +got):\n%s", diff)
	}
	if !strings.Contains(md, "More steps failed than are shown here (4 more)") {
		t.Errorf("no line says 4 more steps failed:\n%s", md[strings.LastIndex(md, "</details>"):])
	}
	if !strings.Contains(md, "deploy broke") {
		t.Error("the error of the step that failed the run is not shown")
	}
}

// TestMarkdownDetailsSayRescued: the <details> block of a step its rescue
// steps recovered says so, as the block of an ignored failure does: read
// alone, it would otherwise look like the step that failed the run.
func TestMarkdownDetailsSayRescued(t *testing.T) {
	md := renderMarkdown(t, loadGolden(t, "rescue-handlers"))
	block := func(label string) string {
		i := strings.Index(md, "<code>"+label+"</code>")
		if i < 0 {
			t.Fatalf("no <details> block for %s:\n%s", label, md)
		}
		return md[i : i+strings.Index(md[i:], "</details>")]
	}
	if b := block("deploy"); !strings.Contains(b, "**Rescued**: it failed, and its rescue steps recovered the run.") {
		t.Errorf("the block of the rescued step does not say it was rescued:\n%s", b)
	}
	if b := block("migrate"); strings.Contains(b, "Rescued") {
		t.Errorf("the block of a step whose rescue failed says rescued:\n%s", b)
	}
}

// TestItemListsShowTheFailedItemFirst: a fan-out whose failure cancelled
// many items listed before the one that failed still shows that one in
// the Markdown, text and HTML summaries.
func TestItemListsShowTheFailedItemFirst(t *testing.T) {
	start := goldenStart
	s := Step{ID: "hosts", Op: "shell.exec", Section: "steps", Status: StatusFailed, StartedAt: &start, Attempts: 1,
		Error: &Error{Class: "execution", Message: "item web-30 failed"}}
	for i := range 40 {
		it := Item{Index: i, Label: fmt.Sprintf("web-%d", i), Item: i, Status: StatusCancelled, Reason: "cancelled: an item failed (fail_fast)"}
		if i == 30 {
			it.Status, it.Reason, it.Error = StatusFailed, "", &Error{Class: "execution", Message: "disk full on web-30"}
		}
		s.Items = append(s.Items, it)
	}
	r := &Report{ReportVersion: FormatVersion, RunID: "r", Playbook: Playbook{Name: "p"}, Status: StatusFailed,
		StartedAt: start, FinishedAt: start, Steps: []Step{s}}
	if md := renderMarkdown(t, r); !strings.Contains(md, "disk full on web-30") || !strings.Contains(md, "more items; see the JSON report") {
		t.Errorf("the Markdown lacks the item that failed, or the line for the others:\n%s", md)
	}
	if txt := renderText(t, r); !strings.Contains(txt, "disk full on web-30") || !strings.Contains(txt, "more items in the report") {
		t.Errorf("the text summary lacks the item that failed, or the line for the others:\n%s", txt)
	}
}
