package report

// The error classes of the report format (error.class), as the engine
// assigns them; see docs/playbooks.md#statuses-and-error-classes.
const (
	ClassValidation    = "validation"
	ClassAuthorization = "authorization"
	ClassExecution     = "execution"
	ClassTimeout       = "timeout"
	ClassCancelled     = "cancelled"
	ClassDeclined      = "declined"
	ClassSystem        = "system"
)

// StatusOf is the status a step, item or attempt ends with when its call
// ended with an error of class: denied for authorization, cancelled for
// cancelled and declined, failed for anything else. It is the one mapping
// from classes to statuses; the engine, history, the audit log and the
// renderers all use it.
func StatusOf(class string) Status {
	switch class {
	case ClassAuthorization:
		return StatusDenied
	case ClassCancelled, ClassDeclined:
		return StatusCancelled
	}
	return StatusFailed
}
