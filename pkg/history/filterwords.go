package history

import (
	"github.com/arsenal-run/arsenal-run/internal/suggest"
)

// statusWords are the words other tools (CI systems, Argo, Dagu, cron
// wrappers) and tired people use for a run's status, and the status of
// this history each means. They are not accepted as filters: a refusal
// names the status, so that a script says what it lists.
var statusWords = map[string]string{
	"error": "failed", "errored": "failed", "errors": "failed", "failure": "failed", "failures": "failed",
	"fail": "failed", "fails": "failed", "failing": "failed", "broken": "failed", "red": "failed",
	"ok": "succeeded", "success": "succeeded", "successful": "succeeded", "succeed": "succeeded",
	"succeeds": "succeeded", "successes": "succeeded", "pass": "succeeded", "passed": "succeeded",
	"passing": "succeeded", "green": "succeeded", "done": "succeeded", "complete": "succeeded",
	"completed": "succeeded",
	"canceled":  "cancelled", "cancel": "cancelled", "canceling": "cancelled", "cancelling": "cancelled",
	"aborted": "cancelled", "abort": "cancelled", "stopped": "cancelled",
	"killed": "interrupted", "crashed": "interrupted", "died": "interrupted", "dead": "interrupted",
	"lost": "interrupted", "orphaned": "interrupted",
	"started": "running", "active": "running", "ongoing": "running", "in_progress": "running",
	"in-progress": "running", "inprogress": "running", "executing": "running",
	"pending": "queued", "waiting": "queued",
	"skip": "skipped", "missing": "missed",
}

// StatusHint is ` (did you mean "x"?)` for a status filter v that is not
// among statuses (lower case, as the filters take them): a word that
// other tools use for a status (error, success, done, canceled) names
// the status it means here; else the status v may be a typo of, or that
// of the word it may be a typo of (sucess for succeeded); "" when none is
// near.
func StatusHint(v string, statuses []string) string {
	if x, ok := suggest.Through(v, statuses, statusWords); ok {
		return suggest.Hint(x)
	}
	return ""
}

// triggerWords are the words a reader may give for a trigger: scheduler is
// what a scheduled run's started_by (the by of 'history show') names.
var triggerWords = map[string]Trigger{
	"scheduler": TriggerSchedule, "scheduled": TriggerSchedule, "cron": TriggerSchedule,
	"timer": TriggerSchedule, "slot": TriggerSchedule,
	"manual": TriggerCLI, "user": TriggerCLI, "terminal": TriggerCLI, "command": TriggerCLI,
	"shell": TriggerCLI, "run": TriggerCLI,
	"rest": TriggerAPI, "http": TriggerAPI, "remote": TriggerAPI, "server": TriggerAPI,
	"serve": TriggerAPI, "console": TriggerAPI, "web": TriggerAPI,
}

// TriggerHint is ` (did you mean "x"?)` for a trigger filter v (lower
// case) that is no trigger: the trigger a word for who or what started a
// run means, else the trigger v may be a typo of, or that of the word it
// may be a typo of (manaul for cli); "" when none is near.
func TriggerHint(v string) string {
	if v == "scheduler" {
		// The word 'history show' prints as the run's by.
		return suggest.Hint(string(TriggerSchedule)) + `: "scheduler" is who started a scheduled run, its trigger is schedule`
	}
	names := make([]string, len(Triggers))
	for i, t := range Triggers {
		names[i] = string(t)
	}
	words := make(map[string]string, len(triggerWords))
	for w, t := range triggerWords {
		words[w] = string(t)
	}
	if x, ok := suggest.Through(v, names, words); ok {
		return suggest.Hint(x)
	}
	return ""
}
