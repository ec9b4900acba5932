package report

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
