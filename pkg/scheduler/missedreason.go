package scheduler

// Why a slot was missed, as the reason field of its log line says it:
// stable words for a log pipeline to count and alert by, as a skipped
// slot's reason is; the message is the sentence recorded with the slot,
// which names the times and the runs. Each is decided where the slot is
// found missed, beside its message, and carried with it: never read back
// from the message, whose words may change.
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
