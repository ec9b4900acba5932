package server

import (
	"net/http"
	"net/url"
	"path"
	"strings"
)

// cleanFirst sends a request whose path is not clean (an empty segment,
// "." or "..") to other, before the mux answers it with a bare redirect
// with no JSON body: a POST followed there might be sent again, or
// dropped, by the client. other answers the API's JSON 404 naming the
// clean path, counted in /metrics as every path no route serves is.
//
// A path whose segment holds an encoded slash (%2F) goes to other too
// when the path with that slash decoded is another route's: no run id,
// playbook or schedule name holds a slash, so the client meant the
// route's path, and other says to send it.
func cleanFirst(mux *http.ServeMux, other http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := uncleanPath(r); ok {
			other.ServeHTTP(w, r)
			return
		}
		if _, ok := slashDecoded(mux, r); ok {
			other.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// slashDecoded returns r's path with its encoded slashes taken as
// separators, and whether a route serves r's method on that path but
// not on the path as sent (where %2F is part of a segment).
func slashDecoded(mux *http.ServeMux, r *http.Request) (string, bool) {
	raw := r.URL.EscapedPath()
	if !strings.Contains(raw, "%2F") && !strings.Contains(raw, "%2f") {
		return "", false
	}
	_, sent := mux.Handler(&http.Request{Method: r.Method, URL: r.URL, Host: r.Host})
	_, decoded := mux.Handler(&http.Request{Method: r.Method, URL: &url.URL{Path: r.URL.Path}, Host: r.Host})
	if decoded == "" || decoded == "/" || decoded == sent {
		return "", false
	}
	return r.URL.Path, true
}

// uncleanPath returns the clean form of r's path, and whether it differs
// from the path the request was sent with. A CONNECT's path is never
// cleaned.
func uncleanPath(r *http.Request) (string, bool) {
	if r.Method == http.MethodConnect {
		return "", false
	}
	p := r.URL.EscapedPath()
	c := cleanPath(p)
	return c, c != p
}

// cleanPath is p without empty, "." and ".." segments, keeping a
// trailing slash: the path http.ServeMux would redirect p to.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// notClean answers a request whose path is not clean: a GET of a console
// page is redirected to the clean path, as a browser expects; any other
// request is a 404 naming the clean path to send instead.
func (s *Server) notClean(w http.ResponseWriter, r *http.Request, clean string) *apiError {
	raw := r.URL.EscapedPath()
	u, err := url.Parse(clean)
	if err != nil {
		u = &url.URL{Path: clean}
	}
	u.RawQuery = r.URL.RawQuery
	if s.cfg.Console != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) && !strings.HasPrefix(clean, "/api/") && !s.served(r.Method, u) {
		http.Redirect(w, r, u.String(), http.StatusMovedPermanently)
		return nil
	}
	if s.served(r.Method, u) {
		return notFound("no endpoint %s %s: the path has an empty segment, \".\" or \"..\"; send %s %s", r.Method, raw, r.Method, clean)
	}
	return notFound("no endpoint %s %s: the path has an empty segment, \".\" or \"..\", and no endpoint serves %s %s either; GET /api/v1/openapi.json lists them", r.Method, raw, r.Method, clean)
}

// served tells whether a route of the API serves method on u's path.
func (s *Server) served(method string, u *url.URL) bool {
	probe := &http.Request{Method: method, URL: u}
	_, pattern := s.mux.Handler(probe)
	return pattern != "" && pattern != "/"
}
