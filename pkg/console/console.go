// Package console is the web console of arsenal-run serve: a handful of
// static files (one HTML page, a style sheet, JavaScript modules and an
// icon), embedded in the binary, that work only through the server's own
// API and its event stream. There is no build step and no library; the
// browser fetches nothing from anywhere else.
//
// The console holds no run logic: sign-in, the runs, the start form's
// preflight, confirm: answers, cancelling, schedules and stats are all
// requests to /api/v1 (see docs/server.md), made with the session cookie
// and its CSRF token.
package console

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
)

//go:embed assets
var files embed.FS

// CSP is the Content-Security-Policy of every page and asset: scripts,
// styles and images only from the server itself (images also from blob:,
// the timeline the page fetched), requests only to it, no inline script
// or style, no framing, and Trusted Types required, so that no script of
// the page can turn a string into markup (innerHTML and the like throw).
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'"

// pages are the paths the browser routes, also with a trailing slash
// (typed, or from a link that added one), which the router drops; each is
// answered with index.html.
var pages = regexp.MustCompile(`^/(?:(?:signin|runs|runs/[^/]+|playbooks|playbooks/[^/]+|operations|schedules|stats)/?)?$`)

// asset is one embedded file, ready to serve.
type asset struct {
	data  []byte
	ctype string
	etag  string
}

// Handler serves the console: index.html for every page path, the files
// under /assets/, and a 404 page for anything else. Every answer carries
// CSP and the headers that keep the pages from being framed, sniffed or
// referred.
func Handler() http.Handler {
	h := &handler{assets: map[string]asset{}}
	err := fs.WalkDir(files, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		h.assets["/"+p] = asset{data: data, ctype: contentType(p), etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		panic("console: embedded assets: " + err.Error()) // a build without them cannot happen; the tests read them
	}
	h.index = h.assets["/assets/index.html"]
	return h
}

type handler struct {
	index  asset
	assets map[string]asset
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", CSP)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Cross-Origin-Opener-Policy", "same-origin")
	hdr.Set("Cross-Origin-Resource-Policy", "same-origin")
	hdr.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/assets/"):
		a, ok := h.assets[path.Clean(p)]
		if !ok || p == "/assets/index.html" {
			notFound(w)
			return
		}
		// Assets are revalidated on each load (cheap: a 304), so a new
		// binary's console is used at once.
		hdr.Set("Cache-Control", "no-cache")
		hdr.Set("ETag", a.etag)
		if match := r.Header.Get("If-None-Match"); match != "" && match == a.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		write(w, r, a, http.StatusOK)
	case pages.MatchString(p):
		hdr.Set("Cache-Control", "no-store")
		write(w, r, h.index, http.StatusOK)
	default:
		notFound(w)
	}
}

func write(w http.ResponseWriter, r *http.Request, a asset, status int) {
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(a.data)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(a.data)
	}
}

func notFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNotFound)
	// The viewport keeps a phone from drawing it 980 px wide, in small
	// print.
	w.Write([]byte("<!DOCTYPE html><html lang=\"en\"><meta charset=\"utf-8\">" +
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Not found · arsenal-run</title>" +
		"<link rel=\"stylesheet\" href=\"/assets/style.css\"><main><h1>Not found</h1>" +
		"<p>The console has no page at this address. <a href=\"/runs\">Go to the runs.</a></p></main></html>"))
}

func contentType(p string) string {
	switch path.Ext(p) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	return "application/octet-stream"
}
