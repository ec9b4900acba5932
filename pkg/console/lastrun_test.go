package console

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPlaybooksLastRunBehindManyOthers: a playbook's last run shows on
// the playbooks page however many runs of other playbooks came after it
// (here, more than the 200 of a first page of runs), and a playbook that
// never ran says so.
func TestPlaybooksLastRunBehindManyOthers(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, map[string]string{"hello": testPlaybooks["hello"], "write": testPlaybooks["write"]})
	id := s.start("oncall", "hello", nil)
	s.wait(id)
	// 201 executes, each a run of its own, all newer than hello's.
	ops := make([]any, 100)
	for i := range ops {
		ops[i] = map[string]any{"op": "control.noop"}
	}
	for range 2 {
		if code, m := s.api("oncall", "POST", "/api/v1/batch", map[string]any{"operations": ops}); code != 200 {
			t.Fatalf("a batch: %d %v", code, m)
		}
	}
	if code, m := s.api("oncall", "POST", "/api/v1/operations/control.noop/execute", map[string]any{}); code != 200 {
		t.Fatalf("an execute: %d %v", code, m)
	}
	// An execute answers before its history row is committed: the list
	// is read until it holds them all.
	for deadline := time.Now().Add(30 * time.Second); ; {
		code, m := s.api("oncall", "GET", "/api/v1/runs?limit=200", nil)
		if code == 200 && m["next"] != nil {
			break
		}
		if time.Now().After(deadline) {
			runs, _ := m["runs"].([]any)
			t.Fatalf("the first page of 200 runs has no next after 30 s: %d, %d runs, %v", code, len(runs), m["error"])
		}
		time.Sleep(50 * time.Millisecond)
	}

	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the playbooks", chromedp.Navigate(s.url+"/playbooks"))
	last := func(name string) string {
		return `(() => { const c = document.querySelector('li.playbook[data-playbook=` + name + `]');
			const dd = c && [...c.querySelectorAll('dt')].find(dt => dt.textContent === 'Last run');
			return dd ? dd.nextElementSibling : null; })()`
	}
	settled := func(name string) string {
		return `(() => { const dd = ` + last(name) + `; return !!dd && !dd.querySelector('.pending'); })()`
	}
	waitFor(t, ctx, "the last runs", settled("hello")+` && `+settled("write"))
	got := eval[string](t, ctx, `(() => { const dd = `+last("hello")+`; const a = dd.querySelector('a');
		return (a ? a.getAttribute('href') : 'no link') + ' | ' + dd.textContent.includes('succeeded'); })()`)
	if want := "/runs/" + id + " | true"; got != want {
		t.Errorf("hello's last run: %q, want %q", got, want)
	}
	if got := eval[string](t, ctx, last("write")+`.textContent`); got != "never" {
		t.Errorf("write's last run: %q, want never", got)
	}
}
