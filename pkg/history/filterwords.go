package history

import (
	"slices"

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
// the status it means here; else the status v may be a typo of; "" when
// none is near.
func StatusHint(v string, statuses []string) string {
	if x, ok := statusWords[v]; ok && slices.Contains(statuses, x) {
		return suggest.Hint(x)
	}
	return suggest.DidYouMean(v, statuses)
}
