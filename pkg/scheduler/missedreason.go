package scheduler

import "strings"

// Why a slot was missed, as the reason field of its log line says it:
// stable words for a log pipeline to count and alert by, as a skipped
// slot's reason is; the message is the sentence recorded with the slot,
// which names the times and the runs.
const (
	ReasonSchedulerDown    = "scheduler_down"       // no scheduler ran at the slot's time
	ReasonUnreachable      = "database_unreachable" // no replica could reach the shared database
	ReasonHistoryFailing   = "history_failing"      // the history could not record slots
	ReasonJitter           = "jitter"               // the jitter put the fire time past the next slot
	ReasonBehind           = "scheduler_behind"     // the scheduler's loop was held up
	ReasonNotReached       = "not_reached"          // suspended, stopped or the clock jumped
	ReasonStartingDeadline = "starting_deadline"    // found or started past its starting_deadline
	ReasonCatchupNone      = "catchup_none"         // found late, and catchup is none
	ReasonStopped          = "stopped"              // the scheduler stopped before the run started
	ReasonProcessEnded     = "process_ended"        // an earlier process ended with the slot queued
	ReasonRemoved          = "removed"              // a reload removed the playbook
	ReasonReloaded         = "reloaded"             // a reload changed the schedule
)

// missedReason is the reason of a slot missed with message msg, one of
// the Reason constants above: the messages are made in this package, by
// missedWhy, lateMessage, dropAhead and the queued and waiting slots'
// ends.
func missedReason(msg string) string {
	rest := strings.TrimPrefix(msg, "missed: ")
	switch {
	case strings.HasPrefix(rest, "the database could not be reached"):
		return ReasonUnreachable
	case strings.HasPrefix(rest, "the scheduler was not running"):
		return ReasonSchedulerDown
	case strings.HasPrefix(rest, "the history could not record slots"):
		return ReasonHistoryFailing
	case strings.HasPrefix(rest, "its jitter of"):
		return ReasonJitter
	case strings.HasPrefix(rest, "the scheduler was behind by"):
		return ReasonBehind
	case strings.Contains(rest, "starting_deadline"):
		return ReasonStartingDeadline
	case strings.HasSuffix(rest, "catchup is none"):
		return ReasonCatchupNone
	case strings.HasPrefix(rest, "the scheduler process ended"):
		return ReasonProcessEnded
	case strings.HasPrefix(rest, "the scheduler stopped"):
		return ReasonStopped
	case strings.HasPrefix(rest, "the playbook was removed"):
		return ReasonRemoved
	case strings.HasPrefix(rest, "the schedule was changed"):
		return ReasonReloaded
	default:
		return ReasonNotReached
	}
}
