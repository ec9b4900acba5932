package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestViewerToldWhichOverrideMadeAGetAWrite: a viewer refused a GET that
// a method override makes a write is told which header or parameter did
// it and what to change, where the denial only said "risk write"; a GET
// whose Authorization header is built from a secret stays a read, where
// the whole headers map counted as computed and the viewer was refused.
func TestViewerToldWhichOverrideMadeAGetAWrite(t *testing.T) {
	reg := builtinRegistry(t)
	dir := t.TempDir()
	pb, err := steps.Load(writeFile(t, dir, "pb.yaml", `version: 1
name: t
inputs:
  token: {type: string, default: x, secret: true}
  m: {type: string, default: GET}
steps:
  - {id: header, op: http.request, with: {url: "http://127.0.0.1:1/x", headers: {X-HTTP-Method-Override: DELETE}}}
  - {id: url, op: http.request, with: {url: "http://127.0.0.1:1/x?page=2&_method=DELETE"}}
  - {id: query, op: http.request, with: {url: "http://127.0.0.1:1/x", query: {_method: PUT}}}
  - {id: computed, op: http.request, with: {url: "http://127.0.0.1:1/x", headers: {X-Method-Override: "${{ inputs.m }}"}}}
  - {id: bearer, op: http.request, with: {url: "http://127.0.0.1:1/x", headers: {Authorization: "Bearer ${{ inputs.token }}"}}}
  - {id: delete, op: http.request, with: {url: "http://127.0.0.1:1/x", method: DELETE}}
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := Builtin().Preflight([]string{"viewer"}, pb, reg)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"header":   "header X-HTTP-Method-Override asks the server for DELETE",
		"url":      "url's query parameter _method asks the server for DELETE",
		"query":    "query parameter _method asks the server for PUT",
		"computed": "header X-Method-Override is computed when the step runs",
	}
	for _, d := range ds {
		w, denied := want[d.Step]
		switch {
		case d.Step == "bearer":
			if !d.Decision.Allowed {
				t.Errorf("a GET with a computed Authorization header is a read: %+v", d.Decision)
			}
		case d.Step == "delete":
			if d.Decision.Allowed || strings.Contains(d.Decision.Rule, "because") {
				t.Errorf("a plain DELETE is denied for its method alone: %+v", d.Decision)
			}
		case denied:
			if d.Decision.Allowed || !strings.Contains(d.Decision.Rule, w) || !strings.Contains(d.Decision.Rule, "leave it out") && !strings.Contains(d.Decision.Rule, "write it literally") {
				t.Errorf("step %s: %+v, want a denial saying %q and what to do", d.Step, d.Decision, w)
			}
		}
	}
}

// TestComputedURLOverrideDeniedWhenTheStepRuns: a url computed when the
// step runs is judged with its value: a viewer whose input adds
// ?_method=DELETE to a GET is refused before anything is sent, and told
// which parameter did it.
func TestComputedURLOverrideDeniedWhenTheStepRuns(t *testing.T) {
	reg := builtinRegistry(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	dir := t.TempDir()
	pb, err := steps.Load(writeFile(t, dir, "pb.yaml", `version: 1
name: t
inputs:
  url: {type: string}
steps:
  - {id: get, op: http.request, with: {url: "${{ inputs.url }}"}}
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Builtin().Subject([]string{"viewer"}, pb)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := engine.New(reg).Plan(pb).Run(context.Background(),
		map[string]any{"url": srv.URL + "/items/7?_method=DELETE"},
		engine.WithRunAuthorizer(NewAuthorizer(s)))
	if err != nil {
		t.Fatal(err)
	}
	st := rep.Steps[0]
	if st.Status != report.StatusDenied || st.Error == nil || !strings.Contains(st.Error.Message, "url's query parameter _method asks the server for DELETE") {
		t.Errorf("step: %s %+v, want denied naming _method", st.Status, st.Error)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the server got %d requests", n)
	}
}
