package console

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The playbooks of the schedule tests: a schedule whose step writes, so
// that a viewer may not pause it.
var schedulePlaybooks = map[string]string{
	"nightly": `version: 1
name: nightly
description: Tidy the cache every night
schedule: {cron: "30 2 * * *", timezone: Europe/Berlin}
steps:
  - {id: clean, op: shell.exec, with: {command: ["true"]}}
`,
}

// TestSchedulePauseRefused: the list of schedules says who may pause
// each, so a viewer's Pause is disabled from the start, with why as its
// title and beside it, also once the list is drawn again and shows
// Resume. An operator's buttons are not affected.
func TestSchedulePauseRefused(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, schedulePlaybooks)
	viewer := tab(t, b)
	s.signIn(t, viewer, "auditor")
	row := `#schedules tr[data-schedule=nightly] `
	do(t, viewer, "open the schedules", chromedp.Navigate(s.url+"/schedules"), chromedp.WaitVisible(chromedp.CSS(row+"button[data-action=pause]")))
	const why = "your roles may not run nightly, so they may not pause or resume its schedule"
	button := `(() => { const b = document.querySelector('` + row + `button'); return [b.dataset.action, b.disabled, b.title,
		document.getElementById(b.getAttribute('aria-describedby')).textContent].join(' | '); })()`
	if got, want := eval[string](t, viewer, button), "pause | true | "+why+" | Not allowed: "+why; got != want {
		t.Errorf("the viewer's Pause:\n got %q\nwant %q", got, want)
	}

	// Paused by someone who may: the list, drawn again, shows Resume,
	// which the same rule keeps from the viewer.
	if code, m := s.api("alice", "POST", "/api/v1/schedules/nightly/pause", nil); code != 200 {
		t.Fatalf("pause as alice: %d %v", code, m)
	}
	waitFor(t, viewer, "the list to show Resume", `!!document.querySelector('`+row+`button[data-action=resume]')`)
	if got, want := eval[string](t, viewer, button), "resume | true | "+why+" | Not allowed: "+why; got != want {
		t.Errorf("after the refresh:\n got %q\nwant %q", got, want)
	}

	operator := tab(t, b)
	s.signIn(t, operator, "oncall")
	do(t, operator, "open the schedules", chromedp.Navigate(s.url+"/schedules"), chromedp.WaitVisible(chromedp.CSS(row+"button[data-action=resume]")))
	do(t, operator, "press Resume", chromedp.Click(chromedp.CSS(row+"button[data-action=resume]")))
	waitFor(t, operator, "Pause, enabled", `(() => { const b = document.querySelector('`+row+`button[data-action=pause]'); return b && !b.disabled && !b.title; })()`)
}
