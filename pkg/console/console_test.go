package console

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// TestPagesAndAssets: every page path is index.html, assets have their
// types and are revalidated by ETag, anything else is 404, only GET and
// HEAD are served, and every answer carries the strict policy.
func TestPagesAndAssets(t *testing.T) {
	h := Handler()
	get := func(method, path string, hdr map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Header().Get("Content-Security-Policy") != CSP || w.Header().Get("X-Frame-Options") != "DENY" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s: security headers %v", method, path, w.Header())
		}
		return w
	}
	index, _ := files.ReadFile("assets/index.html")
	for _, p := range []string{"/", "/signin", "/runs", "/runs/20260101T000000-abc", "/playbooks", "/playbooks/deploy", "/operations", "/schedules", "/stats",
		"/runs/", "/runs/20260101T000000-abc/", "/playbooks/", "/playbooks/deploy/", "/stats/"} {
		w := get("GET", p, nil)
		if w.Code != 200 || w.Body.String() != string(index) || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("GET %s: %d %s", p, w.Code, w.Header().Get("Content-Type"))
		}
	}
	for p, ct := range map[string]string{"/assets/style.css": "text/css; charset=utf-8", "/assets/js/app.js": "text/javascript; charset=utf-8", "/assets/icon.svg": "image/svg+xml"} {
		w := get("GET", p, nil)
		if w.Code != 200 || w.Header().Get("Content-Type") != ct || w.Header().Get("ETag") == "" {
			t.Errorf("GET %s: %d %v", p, w.Code, w.Header())
		}
		if again := get("GET", p, map[string]string{"If-None-Match": w.Header().Get("ETag")}); again.Code != http.StatusNotModified {
			t.Errorf("GET %s with its ETag: %d, want 304", p, again.Code)
		}
	}
	for _, p := range []string{"/nope", "/runs/a/b", "/assets/nope.js", "/assets/index.html", "/assets/../console.go", "/api/v1/runs", "//", "/nope/", "/runs/a/b/"} {
		if w := get("GET", p, nil); w.Code != 404 {
			t.Errorf("GET %s: %d, want 404", p, w.Code)
		} else if !strings.Contains(w.Body.String(), `<meta name="viewport" content="width=device-width, initial-scale=1">`) {
			t.Errorf("GET %s: the not-found page has no viewport, so a phone draws it 980 px wide", p)
		}
	}
	if w := get("POST", "/runs", nil); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /runs: %d", w.Code)
	}
	if w := get("HEAD", "/assets/style.css", nil); w.Code != 200 || w.Body.Len() != 0 {
		t.Errorf("HEAD: %d, %d bytes", w.Code, w.Body.Len())
	}
}

// TestNoInlineCodeNoMarkupSinks: the page has no inline script, style or
// event handler (the policy would refuse them), loads nothing from
// elsewhere, and the scripts never turn a string into markup or code:
// text from the server always goes into the page as text.
func TestNoInlineCodeNoMarkupSinks(t *testing.T) {
	index, _ := files.ReadFile("assets/index.html")
	for _, re := range []string{`<script(?:\s[^>]*)?>\s*[^<\s]`, `<style`, `\son[a-z]+\s*=`, `\sstyle\s*=`, `(?:src|href)="(?:https?:)?//`, `javascript:`} {
		if m := regexp.MustCompile(`(?i)` + re).Find(index); m != nil {
			t.Errorf("index.html has %q", m)
		}
	}
	sinks := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setAttribute\(\s*['"](?:on|style)|DOMParser|createContextualFragment|srcdoc|https?://(?:[^w]|w[^w]|ww[^w])`)
	err := fs.WalkDir(files, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		data, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(data), "\n") {
			if m := sinks.FindString(line); m != "" && !strings.Contains(line, "http://www.w3.org/2000/svg") {
				t.Errorf("%s:%d uses %q: %s", p, i+1, m, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	css, _ := files.ReadFile("assets/style.css")
	if regexp.MustCompile(`@import|url\(`).Match(css) {
		t.Error("the style sheet loads something")
	}
}
