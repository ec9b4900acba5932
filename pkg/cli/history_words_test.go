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
		// A typo of such a word names the status too.
		"sucess": "succeeded", "succes": "succeeded", "faliure": "failed",
	} {
		runMain(t, "history", "--state-dir", state, "--status", word).want(t, ExitUsage, nil,
			[]string{`is not a run status (did you mean "` + want + `"?); use one of succeeded, failed`})
	}
	// queued is a status of the server's listing only.
	res := runMain(t, "history", "--state-dir", state, "--status", "pending")
	res.want(t, ExitUsage, nil, []string{`--status "pending" is not a run status; use one of`})
}

// TestHistoryTriggerScheduler: --trigger scheduler, the word a scheduled
// run's by shows, is refused naming schedule, its trigger, and why; other
// words for who started a run name the trigger they mean.
func TestHistoryTriggerScheduler(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	runMain(t, "history", "--state-dir", state, "--trigger", "scheduler").want(t, ExitUsage, nil,
		[]string{`unknown trigger "scheduler" (did you mean "schedule"?): "scheduler" is who started a scheduled run, its trigger is schedule; use cli, schedule or api`})
	for word, want := range map[string]string{"Scheduled": "schedule", "manual": "cli", "rest": "api", "scedule": "schedule", "manaul": "cli", "consle": "api", "termnal": "cli"} {
		runMain(t, "history", "--state-dir", state, "--trigger", word).want(t, ExitUsage, nil,
			[]string{`(did you mean "` + want + `"?)`})
	}
}
