package runs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// reportDirStore is a store whose reports go to a report dir of their own,
// as PostgreSQL's with --report-dir.
type reportDirStore struct {
	store.Store
	dir string
}

func (s reportDirStore) Reports() string     { return s.dir }
func (s reportDirStore) ReportsName() string { return "the report dir (--report-dir)" }

// endWithReportBlocked runs a playbook whose end waits for an answer,
// puts a directory where the store's copy of its report goes, lets it end
// and returns the problems writing its reports.
func endWithReportBlocked(t *testing.T, m *Manager, reports string) []error {
	t.Helper()
	path := writePlaybook(t, `version: 1
name: asks
steps:
  - {id: go, op: control.noop, confirm: "Go?"}
`)
	h, err := m.Start(context.Background(), Request{Path: path, Ask: true})
	if err != nil {
		t.Fatal(err)
	}
	sub := h.Events().Subscribe(0)
	nextAsked(t, sub)
	sub.Cancel()
	if err := os.MkdirAll(filepath.Join(reports, h.ID()+".json", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := h.Answer(Answer{Step: "go", Yes: true}); err != nil {
		t.Fatal(err)
	}
	wait(t, h)
	return h.SinkErrors()
}

// TestReportCopyFailureNamesItsFolder: a run whose copy of its report
// cannot be written says which folder failed, the state dir's or the
// report dir of --report-dir, and what to do about it.
func TestReportCopyFailureNamesItsFolder(t *testing.T) {
	t.Run("state dir", func(t *testing.T) {
		state := t.TempDir()
		m := newManager(t, Config{StateDir: state}, Limits{})
		reports := filepath.Join(state, history.ReportsDir)
		errs := endWithReportBlocked(t, m, reports)
		if len(errs) != 1 {
			t.Fatalf("sink errors: %v", errs)
		}
		for _, want := range []string{"the state dir: ", "recorded without its report", "make room in " + reports} {
			if !strings.Contains(errs[0].Error(), want) {
				t.Errorf("sink error %q does not say %q", errs[0], want)
			}
		}
	})
	t.Run("report dir", func(t *testing.T) {
		h, err := history.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		reports := t.TempDir()
		m := newManager(t, Config{Store: reportDirStore{Store: h, dir: reports}}, Limits{})
		errs := endWithReportBlocked(t, m, reports)
		if len(errs) != 1 {
			t.Fatalf("sink errors: %v", errs)
		}
		msg := errs[0].Error()
		for _, want := range []string{"the report dir (--report-dir): ", "recorded without its report", "make room in " + reports} {
			if !strings.Contains(msg, want) {
				t.Errorf("sink error %q does not say %q", msg, want)
			}
		}
		if strings.Contains(msg, "state dir") {
			t.Errorf("sink error %q blames the state dir", msg)
		}
	})
}
