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

// refusedWhenRan says whether a step's role allowed its operation but what
// the step gave it (a path outside the role's file_roots, a host outside
// its scope) was refused when it ran: its decision says allowed, its error
// is an authorization one, and the report must not show the one without
// the other.
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
