package httpreq_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/httpreq"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestBodyWithoutMethodIsAWriteForTheEngine runs a playbook whose
// http.request steps send a body without a method, in a dry run and under
// a read-only role: neither may send them, while the plain GET and the
// explicit GET with a body (a search) go out.
func TestBodyWithoutMethodIsAWriteForTheEngine(t *testing.T) {
	var mu sync.Mutex
	var got []string
	s := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, r.Method+" "+r.URL.Path)
	}))
	defer s.Close()
	reg := ops.NewRegistry()
	if err := httpreq.Register(reg, nil); err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "deploy.yaml")
	src := `version: 1
name: deploy
inputs:
  version: {type: string, default: "1.2.3"}
steps:
  - {id: deploy, op: http.request, with: {url: "` + s.URL + `/deploy", json: {version: "1.2.3", action: restart}}}
  - {id: later, op: http.request, needs: [], with: {url: "` + s.URL + `/later", body: "${{ inputs.version }}"}}
  - {id: health, op: http.request, needs: [], with: {url: "` + s.URL + `/healthz"}}
  - {id: search, op: http.request, needs: [], with: {url: "` + s.URL + `/_search", method: GET, json: {size: 0}}}
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	pb, err := steps.Load(path, reg)
	if err != nil {
		t.Fatal(err)
	}
	// What the authorization preflight and the dry-run listing see.
	risks := map[string]ops.Risk{}
	for _, st := range pb.AllSteps() {
		risks[st.ID] = st.Risk
	}
	wantRisks := map[string]ops.Risk{"deploy": ops.RiskWrite, "later": ops.RiskWrite, "health": ops.RiskRead, "search": ops.RiskRead}
	if diff := cmp.Diff(wantRisks, risks); diff != "" {
		t.Errorf("step risks when loaded (-want +got):\n%s", diff)
	}

	policy, err := auth.ParsePolicy(filepath.Join(dir, "policy.yaml"), []byte("version: 1\nroles:\n  viewer:\n    max_risk: read\n"), reg)
	if err != nil {
		t.Fatal(err)
	}
	viewer, err := policy.Subject([]string{"viewer"}, pb)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts []engine.RunOption
		want map[string]report.Status
	}{
		{"dry run", []engine.RunOption{engine.DryRun()},
			map[string]report.Status{"deploy": "skipped", "later": "skipped", "health": "succeeded", "search": "succeeded"}},
		{"read-only role", []engine.RunOption{engine.WithRunAuthorizer(auth.NewAuthorizer(viewer))},
			map[string]report.Status{"deploy": "denied", "later": "denied", "health": "succeeded", "search": "succeeded"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			got = nil
			mu.Unlock()
			rep, err := engine.New(reg).Plan(pb).Run(context.Background(), nil, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			statuses := map[string]report.Status{}
			for _, st := range rep.Steps {
				statuses[st.ID] = st.Status
				if st.ID == "deploy" && !strings.Contains(st.Reason+errText(st.Error), "write") {
					t.Errorf("step deploy: reason %q, error %v; want them to name the write risk", st.Reason, st.Error)
				}
			}
			if diff := cmp.Diff(tc.want, statuses); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			mu.Lock()
			defer mu.Unlock()
			if diff := cmp.Diff([]string{"GET /_search", "GET /healthz"}, slices.Sorted(slices.Values(got))); diff != "" {
				t.Errorf("requests sent (-want +got):\n%s", diff)
			}
		})
	}
}

func errText(e *report.Error) string {
	if e == nil {
		return ""
	}
	return e.Message
}
