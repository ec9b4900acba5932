package cli

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDocScheduleFromExamples runs every `schedule ... --next N --from
// TIME` example the README and the docs show, on the repository's
// playbooks, and compares what it prints with what the doc shows: with
// --from the fire times do not depend on the day the test runs.
func TestDocScheduleFromExamples(t *testing.T) {
	docs, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"README.md"}
	for _, d := range docs {
		names = append(names, "docs/"+filepath.Base(d))
	}
	cmdRE := regexp.MustCompile(`(?m)^\$ arsenal-run (schedule [^\n]*--from [^\n]*)\n`)
	checked := 0
	for _, doc := range names {
		text := repoFile(t, doc)
		for _, m := range cmdRE.FindAllStringSubmatch(text, -1) {
			shown := shownOutput(t, doc, m[0])
			t.Run(doc+": "+m[1], func(t *testing.T) {
				t.Chdir(filepath.Join("..", ".."))
				r := runEnv(t, nil, strings.Fields(m[1])...)
				r.want(t, ExitOK, nil, nil)
				if diff := cmp.Diff(shown, r.stdout); diff != "" {
					t.Errorf("%s shows other fire times than %q prints (-doc +actual):\n%s", doc, m[1], diff)
				}
			})
			checked++
		}
	}
	if checked < 2 {
		t.Errorf("checked %d schedule --from examples; docs/cli.md and docs/scheduling.md show one each", checked)
	}
}
