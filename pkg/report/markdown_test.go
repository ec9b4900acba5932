package report

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	t.Setenv("GITHUB_STEP_SUMMARY", path)
	if err := AppendStepSummary(r); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("earlier step\n"+renderMarkdown(t, r), string(got)); diff != "" {
		t.Errorf("summary file (-want +got):\n%s", diff)
	}

	t.Setenv("GITHUB_STEP_SUMMARY", "")
	if err := AppendStepSummary(r); err != nil {
		t.Errorf("without GITHUB_STEP_SUMMARY: %v", err)
	}
	t.Setenv("GITHUB_STEP_SUMMARY", filepath.Join(t.TempDir(), "missing-dir", "x.md"))
	if err := AppendStepSummary(r); err == nil {
		t.Error("no error for an unwritable summary file")
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
