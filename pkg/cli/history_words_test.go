package cli

import (
	"path/filepath"
	"testing"
)

// TestHistoryStatusOtherToolsWords: a status as other tools name it
// (error, success, ok, done, canceled), which no spelling distance
// reaches, is refused naming the status it means here.
func TestHistoryStatusOtherToolsWords(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	for word, want := range map[string]string{
		"error": "failed", "errored": "failed", "failure": "failed", "fail": "failed",
		"ok": "succeeded", "success": "succeeded", "done": "succeeded", "PASSED": "succeeded",
		"canceled": "cancelled", "aborted": "cancelled", "crashed": "interrupted",
	} {
		runMain(t, "history", "--state-dir", state, "--status", word).want(t, ExitUsage, nil,
			[]string{`is not a run status (did you mean "` + want + `"?); use one of succeeded, failed`})
	}
	// queued is a status of the server's listing only.
	res := runMain(t, "history", "--state-dir", state, "--status", "pending")
	res.want(t, ExitUsage, nil, []string{`--status "pending" is not a run status; use one of`})
}
