package console

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPlaybookPageLastRunsFollow: a playbook's page left open shows its
// last runs as they are, without a reload: a run started from elsewhere
// appears, and its status changes from running when it ends.
func TestPlaybookPageLastRunsFollow(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, map[string]string{"slow": testPlaybooks["slow"]})
	ctx := tab(t, b)
	s.signIn(t, ctx, "auditor")
	do(t, ctx, "open the playbook", chromedp.Navigate(s.url+"/playbooks/slow"))
	waitFor(t, ctx, "no runs yet", `(document.querySelector('main section .empty') || {}).textContent === 'No runs yet.'`)

	id := s.start("oncall", "slow", nil)
	row := `document.querySelector('main tr[data-key=` + jsString(id) + `]')`
	waitFor(t, ctx, "the run started meanwhile, running", row+` && `+row+`.dataset.status === 'running'`)
	if code, m := s.api("oncall", "POST", "/api/v1/runs/"+id+"/cancel", nil); code != 202 && code != 200 {
		t.Fatalf("cancel: %d %v", code, m)
	}
	s.wait(id)
	waitFor(t, ctx, "the run, ended", row+` && `+row+`.dataset.status === 'cancelled'`)
}

// TestPlaybooksPageLastRunFollows: the playbooks page left open shows a
// playbook's last run as it is, without a reload: one started from
// elsewhere appears, and it stops showing as running when it ends.
func TestPlaybooksPageLastRunFollows(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, map[string]string{"slow": testPlaybooks["slow"], "hello": testPlaybooks["hello"]})
	ctx := tab(t, b)
	s.signIn(t, ctx, "auditor")
	do(t, ctx, "open the playbooks", chromedp.Navigate(s.url+"/playbooks"))
	last := `(() => { const c = document.querySelector('li.playbook[data-playbook=slow]');
		const dt = c && [...c.querySelectorAll('dt')].find(dt => dt.textContent === 'Last run');
		return dt ? dt.nextElementSibling : null; })()`
	waitFor(t, ctx, "slow never ran", `(`+last+` || {}).textContent === 'never'`)

	id := s.start("oncall", "slow", nil)
	link := `((` + last + `).querySelector('a[href="/runs/` + id + `"]'))`
	waitFor(t, ctx, "the run started meanwhile, running", link+` && (`+last+`).querySelector('.b-running')`)
	if code, m := s.api("oncall", "POST", "/api/v1/runs/"+id+"/cancel", nil); code != 202 && code != 200 {
		t.Fatalf("cancel: %d %v", code, m)
	}
	s.wait(id)
	waitFor(t, ctx, "the run, ended", link+` && (`+last+`).querySelector('.b-cancelled')`)
}
