package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAppendStepSummaryStartsABlock: whatever an earlier command of the
// job step appended to the summary file, the run's summary begins after a
// blank line, so that its heading is a heading: not the end of a line
// written without a newline, nor raw text inside an HTML block (which
// runs on to the next blank line) such as a <details> block.
func TestAppendStepSummaryStartsABlock(t *testing.T) {
	r := loadGolden(t, "failure-retries")
	md := renderMarkdown(t, r)
	for _, tc := range []struct{ before, want string }{
		{"", ""},
		{"deploy of v2", "deploy of v2\n\n"},
		{"<details>\n<summary>build log</summary>\n\nok\n\n</details>\n", "<details>\n<summary>build log</summary>\n\nok\n\n</details>\n\n"},
		{"| a | b |\n|---|---|\n| 1 | 2 |\n\n", "| a | b |\n|---|---|\n| 1 | 2 |\n\n"},
		{"\n", "\n\n"},
	} {
		path := filepath.Join(t.TempDir(), "summary.md")
		if tc.before != "" {
			if err := os.WriteFile(path, []byte(tc.before), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := AppendStepSummary(path, r); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want+md {
			head, _, _ := strings.Cut(strings.TrimPrefix(string(got), tc.before), "\n")
			t.Errorf("after %q, the summary begins %q; want it after %q", tc.before, head, strings.TrimPrefix(tc.want, tc.before))
		}
	}
}
