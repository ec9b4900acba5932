package storetest

import (
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// A run's end recorded without its playbook's path and sha256 (by a
// replica that has no copy of the playbook) keeps those its row had; one
// that has them replaces them.
func testRecordFinishedKeepsPath(t *testing.T, open Opener) {
	s := open(t)
	must(t, s.RecordStart(ctx, history.Run{ID: "k1", Playbook: "deploy", Path: "/pb/deploy.yaml", SHA256: "abc", StartedAt: t0}))
	rep := finished("k1", "deploy", report.StatusCancelled, t0, map[string]int64{})
	rep.Playbook = report.Playbook{Name: "deploy"}
	must(t, s.RecordFinished(ctx, []history.Finished{{Report: rep, Trigger: history.TriggerAPI}}))
	got, err := s.Get(ctx, "k1")
	must(t, err)
	if got.Path != "/pb/deploy.yaml" || got.SHA256 != "abc" {
		t.Errorf("recorded without a path: path %q, sha256 %q; want /pb/deploy.yaml and abc kept", got.Path, got.SHA256)
	}
	rep.Playbook = report.Playbook{Name: "deploy", Path: "/pb/moved.yaml", SHA256: "def"}
	must(t, s.RecordFinish(ctx, rep, "", ""))
	if got, err = s.Get(ctx, "k1"); err != nil || got.Path != "/pb/moved.yaml" || got.SHA256 != "def" {
		t.Errorf("recorded with a path: path %q, sha256 %q (%v); want /pb/moved.yaml and def", got.Path, got.SHA256, err)
	}
}
