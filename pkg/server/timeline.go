package server

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// GET /api/v1/runs/{id}/timeline.svg: the run's timeline as the HTML
// report draws it, on its own, for the console to show as an image: the
// steps so far while the run goes on. Its styles are inside it; it runs
// no script.
func (s *Server) timeline(w http.ResponseWriter, r *http.Request, _ *Principal) *apiError {
	if e := onlyParams(r.URL.Query()); e != nil {
		return e
	}
	rep, e := s.report(r.Context(), r.PathValue("id"))
	if e != nil {
		return e
	}
	var b bytes.Buffer
	if err := report.WriteTimelineSVG(&b, rep); err != nil {
		return errorf(http.StatusInternalServerError, ClassInternal, "%v", err)
	}
	h := w.Header()
	h.Set("Content-Type", "image/svg+xml")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
	return nil
}
