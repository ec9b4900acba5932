package report

import "time"

// How the renderers write times: a step's duration (or a dash for a step
// that did no work), an offset from the run's start, a moment in UTC.

// offset is when t was, from the run's start, as "+1.2s".
func offset(r *Report, t time.Time) string {
	return "+" + FormatMS(max(t.Sub(r.StartedAt).Milliseconds(), 0))
}

// stepTime is a step's duration, or a dash for a step that never started
// or was skipped at once (StepTime).
func stepTime(s *Step) string {
	return StepTime(s.Status, s.DurationMS, s.Reused, s.StartedAt != nil)
}

// StepTime is how the step tables and the terminal's finished lines show
// the duration ms of a step that ended st, started or not: a dash for a
// step that never started (cancelled before its turn, decided before it
// ran) or was skipped at once (a false when:), which did no work, so that
// the live line and the summary read alike whichever way it ended. A step
// reused from the resumed run has no start in this one but keeps the
// duration it ran for there, however short, as the text summary and JUnit
// show it.
func StepTime(st Status, ms int64, reused, started bool) string {
	if !reused && ms == 0 && (!started || st == StatusSkipped) {
		return "–"
	}
	return FormatMS(ms)
}

// ranFacts are what the HTML report's step line and timeline say of how
// a step ran: its time and its attempts, leaving out a dash for a step
// that never started and "0 attempts" for one that never tried, which say
// nothing its status does not ("skipped", not "skipped · – · 0 attempts").
func ranFacts(s *Step) []string {
	var facts []string
	if t := stepTime(s); t != "–" {
		facts = append(facts, t)
	}
	if s.Attempts > 0 {
		facts = append(facts, plural(s.Attempts, "attempt", "attempts"))
	}
	return facts
}

// durText is a duration, or a dash for something that never started.
func durText(started *time.Time, ms int64) string {
	if started == nil && ms == 0 {
		return "–"
	}
	return FormatMS(ms)
}

// utc formats t for people, in UTC so that output does not depend on the
// machine that renders it.
func utc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}
