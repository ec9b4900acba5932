// Package browsertest starts the headless Chromium that the browser tests
// of the HTML report and the web console drive with chromedp. A test that
// calls Start is skipped when no Chromium is installed (CI installs the
// Debian package chromium) and in -short mode.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Find returns a Chromium or Chrome binary on PATH, or "" when there is
// none.
func Find() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Start starts one headless Chromium for the test, with a window of
// width × height, and returns a browser context that lasts at most
// timeout; everything ends with the test. Extra options (flags) are
// added to the usual ones. what names the tests in the skip message.
func Start(t testing.TB, what string, timeout time.Duration, width, height int, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	bin := find(t, what)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, options(bin, t.TempDir(), width, height, extra)...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	return bctx
}

// find returns the Chromium to start, or skips the test in -short mode or
// when there is none.
func find(t testing.TB, what string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	bin := Find()
	if bin == "" {
		t.Skip("chromium not installed: install the Debian package chromium (or put chromium, chromium-browser or google-chrome on PATH) to run " + what)
	}
	return bin
}

// options are the flags of a headless Chromium with its profile in dir.
func options(bin, dir string, width, height int, extra []chromedp.ExecAllocatorOption) []chromedp.ExecAllocatorOption {
	return append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox, // tests may run as root, where Chromium's sandbox refuses to start
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(width, height),
		// The machine may have no network: no background connections.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
	}, extra...)
}

// Shared is one headless Chromium that the tests of a package share: a
// start and a stop of Chromium cost seconds under the race detector, more
// than many a test's own work. The first test that asks for it starts it;
// TestMain closes it once the tests ran. A test works in tabs of browser
// contexts of its own (chromedp.WithNewBrowserContext), which share no
// cookie, storage or cache with another's.
type Shared struct {
	What          string // names the tests in the skip message
	Width, Height int    // the window
	Extra         []chromedp.ExecAllocatorOption

	mu   sync.Mutex
	bctx context.Context
	stop func()
	err  error
	dirs []string
}

// Browser returns a context of the shared Chromium that lasts at most
// timeout and ends with the test; a test makes its tabs from it with
// chromedp.NewContext and chromedp.WithNewBrowserContext. A Chromium that
// ended (it crashed) is started again.
func (s *Shared) Browser(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	bin := find(t, s.What)
	s.mu.Lock()
	if s.err == nil && (s.bctx == nil || s.bctx.Err() != nil) {
		s.start(bin)
	}
	bctx, err := s.bctx, s.err
	s.mu.Unlock()
	if err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	ctx, cancel := context.WithTimeout(bctx, timeout)
	t.Cleanup(cancel)
	return ctx
}

// start starts Chromium; s.mu is held.
func (s *Shared) start(bin string) {
	if s.stop != nil {
		s.stop()
	}
	dir, err := os.MkdirTemp("", "browsertest-")
	if err != nil {
		s.err = err
		return
	}
	s.dirs = append(s.dirs, dir)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), options(bin, dir, s.Width, s.Height, s.Extra)...)
	bctx, bcancel := chromedp.NewContext(actx)
	s.bctx, s.stop = bctx, func() { bcancel(); acancel() }
	// The browser lives as long as the context of its first run: a start
	// that hangs is stopped by cancelling it.
	hung := time.AfterFunc(startTimeout, acancel)
	s.err = chromedp.Do(bctx)
	if !hung.Stop() {
		if s.err == nil {
			s.err = context.DeadlineExceeded
		}
		s.err = fmt.Errorf("no answer within %v: %w", startTimeout, s.err)
	}
}

// startTimeout bounds the start of the shared Chromium.
const startTimeout = 2 * time.Minute

// Close stops the shared Chromium, if it was started, and removes its
// profile.
func (s *Shared) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop != nil {
		s.stop()
		s.stop = nil
	}
	for _, dir := range s.dirs {
		os.RemoveAll(dir)
	}
	s.dirs = nil
}
