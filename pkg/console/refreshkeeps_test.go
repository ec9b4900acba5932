package console

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// hold selects the text of the element sel finds (as a reader who
// selects a run's id to copy it) and puts the focus on the element focus
// finds, marking both nodes, so that kept says whether a refresh left
// them: the same nodes, the focus on the one, the selection over the
// other.
func hold(t *testing.T, ctx context.Context, sel, focus string) {
	t.Helper()
	do(t, ctx, "select "+sel+" and focus "+focus, chromedp.Evaluate[chromedp.Void](`(() => {
		const f = document.querySelector(`+jsString(focus)+`), s = document.querySelector(`+jsString(sel)+`);
		f.__held = 'focus';
		s.__held = 'selection';
		window.__selected = s.textContent;
		f.focus();
		getSelection().selectAllChildren(s);
	})()`))
	if got := eval[string](t, ctx, kept); got != "" {
		t.Fatalf("before the refresh: %s", got)
	}
}

// kept says what a refresh lost of what hold set: "" when nothing.
const kept = `(() => {
	const lost = [];
	const a = document.activeElement;
	if (!a || a.__held !== 'focus') lost.push('the focus is on ' + (a ? a.tagName + ' ' + a.textContent.trim() : 'nothing') + ', not the node focused');
	const s = getSelection();
	if (s.toString() !== window.__selected) lost.push('the selection is ' + JSON.stringify(s.toString()) + ', not ' + JSON.stringify(window.__selected));
	else {
		let n = s.anchorNode;
		while (n && n.__held !== 'selection') n = n.parentNode;
		if (!n) lost.push('the selection is not over the node selected');
	}
	return lost.join('; ');
})()`

// TestRunsRefreshKeepsSelectionAndFocus: the runs list, refreshed every
// two seconds, draws again only what changed: a run's id selected to be
// copied stays selected, the focus stays on the run's link, and the
// duration of a running run goes on.
func TestRunsRefreshKeepsSelectionAndFocus(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, testPlaybooks)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	done := s.start("oncall", "hello", nil)
	s.wait(done)
	running := s.start("oncall", "slow", nil)
	t.Cleanup(func() {
		s.api("oncall", "POST", "/api/v1/runs/"+running+"/cancel", nil)
		s.wait(running)
	})
	row := `#runs-list tr[data-run="` + done + `"] `
	dur := `document.querySelector('#runs-list tr[data-run="` + running + `"] td[data-label=Duration]').textContent`
	do(t, ctx, "open the runs", chromedp.Navigate(s.url+"/runs"), chromedp.WaitVisible(chromedp.CSS(row+".id")))
	waitFor(t, ctx, "the running run's duration", `/\d/.test(`+dur+`)`)
	hold(t, ctx, row+".id", row+".run-name a")
	before := eval[string](t, ctx, dur)
	waitFor(t, ctx, "a refresh to count the running run on", dur+` !== `+jsString(before))
	if got := eval[string](t, ctx, kept); got != "" {
		t.Errorf("after a refresh: %s", got)
	}
}

// TestRunPageTickKeepsSelection: the facts of a running run's page, drawn
// each second for its duration, keep the run's id selected.
func TestRunPageTickKeepsSelection(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, testPlaybooks)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	id := s.start("oncall", "slow", nil)
	t.Cleanup(func() {
		s.api("oncall", "POST", "/api/v1/runs/"+id+"/cancel", nil)
		s.wait(id)
	})
	dur := `document.querySelector('main > dl.facts dd.duration').textContent`
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, ctx, "the running run", `!!document.querySelector('.run-status .b-running') && /\d/.test(`+dur+`)`)
	hold(t, ctx, "main > dl.facts dd code", "#cancel")
	before := eval[string](t, ctx, dur)
	waitFor(t, ctx, "the duration to go on", dur+` !== `+jsString(before))
	if got := eval[string](t, ctx, kept); got != "" {
		t.Errorf("after the duration went on: %s", got)
	}
}

// TestSchedulesRefreshKeepsSelectionAndFocus: the schedules list,
// refreshed every 10 seconds, draws again only what changed: paused by
// someone else, the row says so while the cron selected in it stays
// selected and the focus stays on the playbook's link.
func TestSchedulesRefreshKeepsSelectionAndFocus(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, schedulePlaybooks)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	row := `#schedules tr[data-schedule=nightly] `
	do(t, ctx, "open the schedules", chromedp.Navigate(s.url+"/schedules"), chromedp.WaitVisible(chromedp.CSS(row+"button[data-action=pause]")))
	hold(t, ctx, row+"code", row+"a")
	if code, m := s.api("alice", "POST", "/api/v1/schedules/nightly/pause", nil); code != 200 {
		t.Fatalf("pause as alice: %d %v", code, m)
	}
	waitFor(t, ctx, "the refresh to show the pause", `!!document.querySelector('`+row+`button[data-action=resume]')`)
	if got := eval[string](t, ctx, kept); got != "" {
		t.Errorf("after the refresh: %s", got)
	}
}
