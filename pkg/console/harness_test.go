package console

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/arsenal-run/arsenal-run/internal/browsertest"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/server"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// site is a real arsenal-run server with the console, on a loopback
// port: the run service with a state dir, history, audit log and
// sessions, and keys for each built-in role.
type site struct {
	t     testing.TB
	url   string
	keys  map[string]string
	mgr   *runs.Manager
	audit string
	state string
	http  *http.Client
	pbs   *server.Playbooks
	srv   *server.Server
	// keysFile is the text of the site's keys file.
	keysFile string
	reg      *ops.Registry
	pbDir    string
	// ahead is how far the server's clock runs ahead of the wall clock
	// (see later).
	ahead atomic.Int64
}

// now is the server's clock: the wall clock, moved on by later.
func (s *site) now() time.Time { return time.Now().Add(time.Duration(s.ahead.Load())) }

// later moves the server's clock d on, as if that much time had passed,
// so that sessions expire; the browser's clock stays as it is.
func (s *site) later(d time.Duration) { s.ahead.Add(int64(d)) }

// editKeys changes the keys file's text with edit and loads it, as
// serve does on SIGHUP.
func (s *site) editKeys(edit func(string) string) {
	s.t.Helper()
	s.keysFile = edit(s.keysFile)
	ks, err := server.ParseKeys("keys.yaml", []byte(s.keysFile))
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.srv.Reload(server.State{Keys: ks, Playbooks: s.pbs}); err != nil {
		s.t.Fatal(err)
	}
}

// editPlaybook rewrites a playbook's file and loads the playbooks, as
// serve does on SIGHUP.
func (s *site) editPlaybook(name, text string) {
	s.t.Helper()
	if err := os.WriteFile(filepath.Join(s.pbDir, name+".yaml"), []byte(text), 0o644); err != nil {
		s.t.Fatal(err)
	}
	pbs, err := server.LoadPlaybooks(s.pbDir, s.reg)
	if err != nil {
		s.t.Fatal(err)
	}
	ks, err := server.ParseKeys("keys.yaml", []byte(s.keysFile))
	if err != nil {
		s.t.Fatal(err)
	}
	s.pbs = pbs
	if err := s.srv.Reload(server.State{Keys: ks, Playbooks: pbs}); err != nil {
		s.t.Fatal(err)
	}
}

// playbook is one of the site's playbooks.
// usePolicy makes text, a policy file read as if at dir/policy.yaml, the
// site's policy, its keys and playbooks kept.
func (s *site) usePolicy(t testing.TB, dir, text string) {
	t.Helper()
	policy, err := auth.ParsePolicy(filepath.Join(dir, "policy.yaml"), []byte(text), s.mgr.Service().Registry())
	if err != nil {
		t.Fatal(err)
	}
	ks, err := server.ParseKeys("keys.yaml", []byte(s.keysFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.srv.Reload(server.State{Keys: ks, Policy: policy, Playbooks: s.pbs}); err != nil {
		t.Fatal(err)
	}
}

func (s *site) playbook(name string) *steps.Playbook {
	s.t.Helper()
	pb, ok := s.pbs.Get(name)
	if !ok {
		s.t.Fatalf("no playbook %s", name)
	}
	return pb
}

func startSite(t testing.TB, playbooks map[string]string) *site {
	t.Helper()
	return startSiteLimits(t, playbooks, runs.Limits{MaxRunning: 8})
}

// startSiteLimits starts a site whose runs are bounded by limits, as
// serve's --max-running and --max-queued bound them.
func startSiteLimits(t testing.TB, playbooks map[string]string, limits runs.Limits) *site {
	t.Helper()
	dir := t.TempDir()
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := engine.RegisterPlaybookOp(engine.New(reg)); err != nil {
		t.Fatal(err)
	}
	pbDir := filepath.Join(dir, "playbooks")
	os.Mkdir(pbDir, 0o755)
	for name, text := range playbooks {
		if err := os.WriteFile(filepath.Join(pbDir, name+".yaml"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pbs, err := server.LoadPlaybooks(pbDir, reg)
	if err != nil {
		t.Fatal(err)
	}
	s := &site{t: t, keys: map[string]string{}, state: filepath.Join(dir, "state"), audit: filepath.Join(dir, "audit.log"),
		http: &http.Client{Timeout: 30 * time.Second}}
	var keys strings.Builder
	keys.WriteString("version: 1\nkeys:\n")
	for _, k := range []struct{ name, role string }{{"alice", "admin"}, {"oncall", "operator"}, {"auditor", "viewer"}} {
		key, digest, err := server.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		s.keys[k.name] = key
		fmt.Fprintf(&keys, "  - {name: %s, sha256: %s, roles: [%s]}\n", k.name, digest, k.role)
	}
	s.keysFile = keys.String()
	ks, err := server.ParseKeys("keys.yaml", []byte(s.keysFile))
	if err != nil {
		t.Fatal(err)
	}
	audit, err := auth.OpenAudit(s.audit)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := runs.NewService(runs.Config{Registry: reg, StateDir: s.state, Audit: audit, Env: runs.MapEnv{"PATH": os.Getenv("PATH")}})
	if err != nil {
		t.Fatal(err)
	}
	s.mgr = runs.NewManager(svc, limits)
	s.pbs, s.reg, s.pbDir = pbs, reg, pbDir
	sessions, err := server.OpenSessions(s.state, 0, s.now)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Manager: s.mgr, State: server.State{Keys: ks, Playbooks: pbs}, Sessions: sessions,
		Console: Handler(), Env: runs.MapEnv{"PATH": os.Getenv("PATH")}, Version: "test", Scheduling: func() bool { return false }, Now: s.now})
	if err != nil {
		t.Fatal(err)
	}
	s.srv = srv
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.url = "http://" + l.Addr().String()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-served
		s.http.CloseIdleConnections()
		now, cancelNow := context.WithCancel(context.Background())
		cancelNow()
		s.mgr.Shutdown(now)
		svc.Close()
		audit.Close()
		reg.Close()
	})
	return s
}

// api calls the API with a key, outside the browser.
func (s *site) api(key, method, path string, body any) (int, map[string]any) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, s.url+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+s.keys[key])
	}
	res, err := s.http.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

// start starts a run with a key and returns its id.
func (s *site) start(key, playbook string, inputs map[string]any) string {
	s.t.Helper()
	code, m := s.api(key, "POST", "/api/v1/playbooks/"+playbook+"/runs", map[string]any{"inputs": inputs})
	if code != 202 {
		s.t.Fatalf("start %s: %d %v", playbook, code, m)
	}
	return m["run_id"].(string)
}

// wait waits for a run of this server to end and returns its report.
func (s *site) wait(id string) *report.Report {
	s.t.Helper()
	h, ok := s.mgr.Get(id)
	if !ok {
		s.t.Fatalf("no run %s", id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := h.Wait(ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	return rep
}

// chromium is the headless Chromium the browser tests share.
var chromium = browsertest.Shared{What: "the console's browser tests", Width: 1280, Height: 900,
	Extra: []chromedp.ExecAllocatorOption{chromedp.Flag("lang", "en-GB")}}

func TestMain(m *testing.M) {
	code := m.Run()
	chromium.Close()
	os.Exit(code)
}

// browser returns the shared headless Chromium for a test, for at most
// timeout; tabs with their own cookies come from tab. The test is skipped
// when none is installed (CI always installs it).
func browser(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	return chromium.Browser(t, timeout)
}

// tab opens a tab in a browser context of its own (its own cookies), so
// that two users can be signed in at once.
func tab(t testing.TB, b context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "UTC"})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// do runs actions, failing the test with what was being done; a wait
// that never ends fails after 45 seconds.
func do(t testing.TB, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// sendKeys types text into the element sel names, as chromedp.SendKeys
// does (it focuses the element, then presses the keys), without reading
// the element's attributes: SendKeys reads them unlocked, so that a page
// changing them meanwhile (a field marked aria-invalid by an answer)
// fails the test under the race detector.
func sendKeys[S chromedp.Selectable](sel S, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.WaitVisible(sel), chromedp.Focus(sel), chromedp.KeyEvent(text))
}

// eval evaluates a script in the page.
func eval[T any](t testing.TB, ctx context.Context, script string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](script, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %.60q: %v", script, err)
	}
	return v
}

// waitFor polls a predicate in the page until it is true. A wait that
// fails says what the page showed then.
func waitFor(t testing.TB, ctx context.Context, what, predicate string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool]("!!("+predicate+")", chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("waiting for %s (%s): %v\n%s", what, predicate, err, pageShows(t, ctx))
	}
}

// watchPreflights has the page keep each authorization preflight its
// start form asks for (its request's body, b) and whether its answer came
// (done), in window.preflights: a test that changes what the server
// would answer (its clock, the keys) first waits with preflightAnswered
// until the form has checked what was typed, with no check still to come.
func watchPreflights(t testing.TB, ctx context.Context) {
	t.Helper()
	eval[bool](t, ctx, `(() => {
		window.preflights = [];
		const f = window.fetch;
		window.fetch = function (url, opts) {
			const p = f.apply(this, arguments);
			if (String(url).endsWith('/preflight')) {
				const r = { b: JSON.parse((opts && opts.body) || 'null'), done: false };
				window.preflights.push(r);
				p.finally(() => { r.done = true; }).catch(() => {});
			}
			return p;
		};
		return true; })()`)
}

// preflightAnswered waits until the answer came to a preflight (see
// watchPreflights) whose body b makes the expression pred true.
func preflightAnswered(t testing.TB, ctx context.Context, what, pred string) {
	t.Helper()
	waitFor(t, ctx, what, `window.preflights.some(({ b, done }) => done && b && (`+pred+`))`)
}

// pageShows says what the page shows: its address, the start of its main
// element's text and the sign-in form's error, if any; or why it cannot
// be read.
func pageShows(t testing.TB, ctx context.Context) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const text = (el) => (el ? el.textContent : '').replace(/\s+/g, ' ').trim();
		let main = text(document.getElementById('main'));
		if (main.length > 300) main = main.slice(0, 300) + '…';
		const err = document.getElementById('signin-error');
		return 'the page shows ' + location.pathname + location.search + ', its main: ' + JSON.stringify(main) +
			(err ? ', the sign-in error: ' + JSON.stringify(text(err)) : ''); })()`))
	if err != nil {
		return "what the page shows could not be read: " + err.Error()
	}
	return v
}

// signIn signs in through the page with the key of name.
func (s *site) signIn(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	do(t, ctx, "open the console", chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.ID("key")))
	do(t, ctx, "sign in as "+name, sendKeys(chromedp.ID("key"), s.keys[name]), chromedp.Click(chromedp.CSS("#signin button[type=submit]")))
	waitFor(t, ctx, "the signed-in page", `document.getElementById('who-name') && document.getElementById('who-name').textContent.startsWith(`+jsString(name)+`) && !document.getElementById('signin')`)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
