package console

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

var screenshots = flag.String("screenshots", "", "write the console's screenshots (desktop and phone) into this directory, as make screenshots does")

//go:embed testdata/audit.js
var auditJS string

// The playbooks of the layout test: enough to fill each page.
var layoutPlaybooks = map[string]string{
	"deploy":  testPlaybooks["deploy"],
	"approve": testPlaybooks["approve"],
	"slow":    testPlaybooks["slow"],
	"rotate-certs": `version: 1
name: rotate-certs
description: Renew the TLS certificates of the web fleet, host by host
inputs:
  hosts: {type: list, default: [web-1, web-2, web-3, web-4, web-5, web-6]}
  dry_check: {type: bool, default: false}
steps:
  - {id: inventory, op: control.log, with: {message: "renewing ${{ len(inputs.hosts) }} hosts"}}
  - id: renew
    op: shell.exec
    foreach: inputs.hosts
    concurrency: 3
    fail_fast: false
    retry: {attempts: 2, delay: 100ms}
    with: {script: "echo renewing; sleep 0.2; test \"$HOST\" != web-5 || { echo 'web-5: certificate store is read-only' >&2; exit 1; }"}
    env: {HOST: "${{ item }}"}
  - {id: reload, op: control.log, with: {message: "reloading nginx"}}
finally:
  - {id: report, op: control.log, with: {message: "rotation done"}}
`,
	"nightly-backup": `version: 1
name: nightly-backup
description: Dump the databases and ship them off-site
schedule: {cron: "30 2 * * *", timezone: Europe/Berlin}
steps:
  - {id: dump, op: shell.exec, with: {command: ["true"]}}
`,
	"disk-report": `version: 1
name: disk-report
description: Report disk use every 15 minutes
schedule: {cron: "*/15 * * * *"}
steps:
  - {id: df, op: system.disk, with: {path: /}}
`,
}

type viewport struct {
	name          string
	width, height int64
	scale         float64
	mobile        bool
}

var (
	desktop = viewport{"desktop", 1280, 860, 1, false}
	phone   = viewport{"phone", 360, 760, 2, true}
)

// TestConsoleLayout opens every page of the console at desktop and phone
// widths, light and dark, and measures it: nothing wider than the window
// (a phone is 360 px), text contrast at WCAG AA, every control labelled,
// every button, link and image named, and a visible focus ring under the
// keyboard. With -screenshots DIR (make screenshots) it also writes the
// runs, run, playbook form and stats pages as PNGs.
func TestConsoleLayout(t *testing.T) {
	b := browser(t, 5*time.Minute)
	s := startSite(t, layoutPlaybooks)
	seed(t, s)
	ctx := tab(t, b)

	// The sign-in page, before signing in.
	for _, vp := range []viewport{desktop, phone} {
		for _, dark := range []bool{false, true} {
			look(t, ctx, vp, dark)
			do(t, ctx, "open the sign-in page", chromedp.Navigate(s.url+"/signin"), chromedp.WaitVisible(chromedp.ID("key")))
			audit(t, ctx, "signin", vp, dark)
		}
	}
	look(t, ctx, desktop, false)
	s.signIn(t, ctx, "oncall")

	runID := s.lastRun("rotate-certs")
	pages := []struct {
		name, path, ready string
		shot              bool
	}{
		{"runs", "/runs", `document.querySelectorAll('#runs-list tbody tr').length >= 6`, true},
		{"run", "/runs/" + runID, `document.querySelector('.run-status .b-failed') && (() => { const i = document.querySelector('img.timeline'); return i && i.complete && i.naturalWidth > 300; })() && document.querySelectorAll('li.step').length === 4`, true},
		{"playbook-form", "/playbooks/deploy", `document.querySelector('#preflight .verdict.allowed') && document.querySelectorAll('#start .field').length >= 5`, true},
		{"stats", "/stats?range=24h", `document.querySelectorAll('#stats tbody tr').length >= 4`, true},
		{"playbooks", "/playbooks", `document.querySelectorAll('li.playbook').length === 6`, true},
		{"operations", "/operations", `(() => { const d = document.querySelector('details.op[data-op="control.log"]'); if (d && !d.open) d.open = true; return d && d.querySelector('form.execute'); })()`, true},
		{"schedules", "/schedules", `document.querySelectorAll('#schedules tbody tr').length === 2 && document.querySelectorAll('#schedules ul.slots li').length === 4`, true},
	}
	for _, p := range pages {
		for _, vp := range []viewport{desktop, phone} {
			for _, dark := range []bool{false, true} {
				look(t, ctx, vp, dark)
				do(t, ctx, "open "+p.path, chromedp.Navigate(s.url+p.path))
				waitFor(t, ctx, p.name+" to be ready", p.ready)
				switch p.name {
				case "run":
					// The failed step's items and attempts are what an
					// on-call engineer opens; show them.
					do(t, ctx, "open the fan-out", chromedp.Evaluate[chromedp.Void](`document.querySelector('li.step[data-step=renew] details').open = true`))
				case "playbook-form":
					do(t, ctx, "fill the version", sendKeys(chromedp.CSS("#start [name=version]"), "v1.5.0"))
					waitFor(t, ctx, "Run to be enabled", `!document.getElementById('run').disabled`)
				}
				audit(t, ctx, p.name, vp, dark)
				if p.shot && *screenshots != "" && (!dark || p.name == "run") && (vp.name == "desktop" || required[p.name]) {
					shoot(t, ctx, p.name, vp, dark)
				}
			}
		}
	}
	look(t, ctx, desktop, false)
	do(t, ctx, "open the runs", chromedp.Navigate(s.url+"/runs"), chromedp.WaitVisible(chromedp.CSS("#runs-list table")))
	focusRing(t, ctx)
}

// required are the pages whose screenshots docs/console.md shows at both
// widths; the others only at desktop width.
var required = map[string]bool{"runs": true, "run": true, "playbook-form": true, "stats": true}

// look sets the viewport and the colour scheme the page is shown in.
func look(t *testing.T, ctx context.Context, vp viewport, dark bool) {
	t.Helper()
	scheme := "light"
	if dark {
		scheme = "dark"
	}
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(vp.scale)}
	if vp.mobile {
		opts = append(opts, chromedp.EmulateMobile)
	}
	do(t, ctx, "set the viewport", chromedp.EmulateViewport(vp.width, vp.height, opts...),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
			return err
		}))
}

// audit measures the page (testdata/audit.js) and reports each problem.
func audit(t *testing.T, ctx context.Context, page string, vp viewport, dark bool) {
	t.Helper()
	var got struct {
		Overflow   float64
		Contrast   []string
		Unlabelled []string
		Unnamed    []string
	}
	if err := json.Unmarshal([]byte(eval[string](t, ctx, auditJS)), &got); err != nil {
		t.Fatal(err)
	}
	where := page + " at " + vp.name
	if dark {
		where += ", dark"
	}
	if got.Overflow > 0 {
		t.Errorf("%s: the page is %.0f px wider than the window", where, got.Overflow)
	}
	for _, c := range got.Contrast {
		t.Errorf("%s: contrast below WCAG AA: %s", where, c)
	}
	for _, u := range got.Unlabelled {
		t.Errorf("%s: a control without a label: %s", where, u)
	}
	for _, u := range got.Unnamed {
		t.Errorf("%s: no name: %s", where, u)
	}
}

// focusRing tabs through the first controls of a page and checks that
// each one the keyboard reaches shows a focus outline.
func focusRing(t *testing.T, ctx context.Context) {
	t.Helper()
	seen := map[string]bool{}
	for range 8 {
		do(t, ctx, "press Tab", chromedp.KeyEvent("\t"))
		got := eval[string](t, ctx, `(() => { const a = document.activeElement; const cs = getComputedStyle(a);
			return a.tagName + (a.id ? '#' + a.id : '') + '|' + a.textContent.trim().slice(0, 20) + '|' + cs.outlineStyle + '|' + cs.outlineWidth; })()`)
		parts := strings.Split(got, "|")
		seen[parts[0]+" "+parts[1]] = true
		if parts[0] == "BODY" {
			continue
		}
		if parts[2] == "none" || parts[3] == "0px" {
			t.Errorf("%s %q has no visible focus: outline %s %s", parts[0], parts[1], parts[2], parts[3])
		}
	}
	if len(seen) < 6 {
		t.Errorf("Tab reached only %v", seen)
	}
}

// shoot writes a screenshot of the page: the whole page at desktop width
// and the start form on a phone (its preflight and Run are below the
// fields), the first screen of the others on a phone and of the long
// operations catalogue.
func shoot(t *testing.T, ctx context.Context, page string, vp viewport, dark bool) {
	t.Helper()
	// A step card out of sight is not painted (content-visibility: auto),
	// and a whole-page picture is taken beyond the window: it would show
	// the cards below the window empty.
	do(t, ctx, "settle", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur();
		for (const li of document.querySelectorAll('li.step')) li.style.contentVisibility = 'visible'`), chromedp.Sleep(150*time.Millisecond))
	capture := chromedp.FullScreenshot(100)
	if (vp.mobile && page != "playbook-form") || page == "operations" {
		capture = chromedp.CaptureScreenshot()
	}
	shot, err := chromedp.Run(ctx, capture)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(shot)); err != nil {
		t.Fatalf("the screenshot of %s is not a PNG: %v", page, err)
	}
	name := page + "-" + vp.name
	if dark {
		name += "-dark"
	}
	if err := os.WriteFile(filepath.Join(*screenshots, name+".png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s.png", name)
}

// seed fills the site with runs of each kind and status and with
// executed operations, so that every page has something to show.
func seed(t *testing.T, s *site) {
	t.Helper()
	for _, op := range []struct {
		name   string
		params map[string]any
		n      int
	}{
		{"system.info", nil, 3}, {"system.disk", map[string]any{"path": "/"}, 2}, {"control.log", map[string]any{"message": "hi"}, 4},
		{"net.tcp_check", map[string]any{"address": "127.0.0.1:1", "timeout": "200ms"}, 2}, {"control.fail", map[string]any{"message": "boom"}, 1},
		{"process.list", map[string]any{"name_regex": "^init$"}, 1},
	} {
		for range op.n {
			s.api("alice", "POST", "/api/v1/operations/"+op.name+"/execute", map[string]any{"params": op.params})
		}
	}
	for i, v := range []string{"v1.4.0", "v1.4.1", "v1.4.2"} {
		key := "oncall"
		if i == 1 {
			key = "alice"
		}
		s.wait(s.start(key, "deploy", map[string]any{"version": v}))
	}
	cancelled := s.start("oncall", "slow", nil)
	h, _ := s.mgr.Get(cancelled)
	time.Sleep(100 * time.Millisecond)
	h.Cancel(nil)
	s.wait(cancelled)
	s.wait(s.start("alice", "rotate-certs", nil))
	s.start("oncall", "slow", nil) // one still running

	// The schedules' last slots: fired runs, and slots the scheduler
	// skipped or missed, as it records them; one schedule is paused.
	now := time.Now().UTC().Truncate(15 * time.Minute)
	pb := s.mgr.Service().History()
	var slots []history.Slot
	for i, outcome := range []history.SlotOutcome{history.SlotMissed, history.SlotSkipped} {
		slots = append(slots, history.Slot{Playbook: "disk-report", Slot: now.Add(time.Duration(i-4) * 15 * time.Minute), Outcome: outcome,
			Message: map[history.SlotOutcome]string{history.SlotMissed: "missed: the scheduler was not running at that time",
				history.SlotSkipped: "skipped: the schedule is paused (by alice)"}[outcome], At: now.Add(time.Duration(i-4) * 15 * time.Minute)})
	}
	if _, err := pb.ClaimSlots(context.Background(), slots); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		slot := now.Add(time.Duration(i-2) * 15 * time.Minute)
		h, err := s.mgr.Start(context.Background(), runs.Request{Playbook: s.playbook("disk-report"),
			Caller: runs.Caller{Name: "scheduler", Trigger: runs.TriggerSchedule, Slot: slot, Roles: []string{"operator"}}})
		if err != nil {
			t.Fatal(err)
		}
		s.wait(h.ID())
	}
	if code, m := s.api("alice", "POST", "/api/v1/schedules/nightly-backup/pause", nil); code != 200 {
		t.Fatalf("pause: %d %v", code, m)
	}
}

// lastRun is the id of the newest run of a playbook.
func (s *site) lastRun(playbook string) string {
	s.t.Helper()
	_, m := s.api("alice", "GET", "/api/v1/runs?limit=1&playbook="+playbook, nil)
	runs := m["runs"].([]any)
	if len(runs) == 0 {
		s.t.Fatalf("no run of %s", playbook)
	}
	return runs[0].(map[string]any)["id"].(string)
}
