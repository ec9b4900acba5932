package report

import "strings"

// skippedReason is the reason a step did not run, followed, for a step
// that authorization would have refused had it come to run, by that
// refusal: "needs migrate, which was denied; would be denied: no rule of
// role viewer allows file.delete (risk destructive)". Only a dry run
// records such a step (preflight's denials do not stop it), and a dry run
// is a permission check: its summary must show every step the roles may
// not run, not only the first, whose denial made the others skip.
func skippedReason(s *Step) string {
	a := s.Authorization
	if s.Status != StatusSkipped || a == nil || a.Allowed || a.Rule == "" {
		return s.Reason
	}
	if s.Reason == "" {
		return "would be denied: " + a.Rule
	}
	return s.Reason + "; would be denied: " + a.Rule
}

// refusedWhenRan says whether, in a report written before decisions
// recorded DeniedWhenRun, a step's role allowed its operation but what
// the step gave it (a path outside the role's file_roots, a host outside
// its scope) was refused when it ran: its decision says allowed, its error
// is an authorization one, and the report must not show the one without
// the other. A newer report's decision says denied (DeniedWhenRun).
func refusedWhenRan(s *Step) bool {
	return s.Error != nil && s.Error.Class == ClassAuthorization && s.Authorization != nil && s.Authorization.Allowed
}

// shownReason is a step's reason for its details, or "" when it only
// repeats the step's error or its notification, which are shown beside
// it: a notify entry sent with the run summary says so as its
// notification.
func shownReason(s *Step) string {
	if s.Error != nil && strings.TrimSpace(s.Reason) == strings.TrimSpace(s.Error.Message) {
		return ""
	}
	if n := NotificationOf(s); s.Reason == SummarySent && n != nil && n.Summary {
		return ""
	}
	return s.Reason
}

// RanError is the error of a step or item as the renderers show it: for a
// call denied when it ran (its decision's DeniedWhenRun), it begins
// "denied when it ran:" rather than "denied:", so that the summary alone
// says the role's rule allowed the operation and its scope refused what
// the call was given. Other errors, and those of reports written before
// the decision recorded it, are e itself.
func RanError(e *Error, a *Decision) *Error {
	if e == nil || e.Class != ClassAuthorization || a == nil || !a.DeniedWhenRun {
		return e
	}
	msg, ok := strings.CutPrefix(e.Message, deniedPrefix)
	if !ok {
		// A fan-out's error names its denied item first, whose row
		// says it was denied when it ran.
		return e
	}
	return &Error{Class: e.Class, Message: DeniedWhenRunPrefix + msg}
}

// deniedPrefix begins the error of a call denied by the role's scope
// (ops.ErrDenied's text); DeniedWhenRunPrefix replaces it in what the
// renderers show of a call denied when it ran.
const (
	deniedPrefix        = "denied: "
	DeniedWhenRunPrefix = "denied when it ran: "
)
