package steps

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReportAsPlaybook: a run's JSON report given as the playbook (the
// report and the playbook sit side by side after a run) was read as a
// playbook, with fifty unknown keys and missing params; it is now said to
// be a report, with the commands that read one.
func TestReportAsPlaybook(t *testing.T) {
	src := "{\n  \"report_version\": \"1\",\n  \"run_id\": \"r1\",\n  \"roles\": [\"operator\"],\n  \"steps\": [{\"id\": \"a\", \"op\": \"control.log\", \"status\": \"succeeded\"}]\n}\n"
	_, err := Parse("rep.json", []byte(src), testRegistry(t))
	if err == nil {
		t.Fatal("loaded")
	}
	want := "rep.json:2:3: this is a run's report (report_version), not a playbook: show it with 'arsenal-run report show FILE', or rerun its failed steps with 'arsenal-run run PLAYBOOK --resume FILE'"
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}
