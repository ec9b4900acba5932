package history

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

func TestCachePutGetExpiry(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	e := CacheEntry{Key: "k1", Op: "http.request", Playbook: "p", Step: "probe", Output: json.RawMessage(`{"status":200}`),
		CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
	if err := s.CachePut(ctx, e); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.CacheGet(ctx, "k1", t0.Add(time.Minute))
	if err != nil || !ok {
		t.Fatalf("get before expiry: ok %v, %v", ok, err)
	}
	if diff := cmp.Diff(e, got); diff != "" {
		t.Errorf("entry (-want +got):\n%s", diff)
	}
	if _, ok, err := s.CacheGet(ctx, "k1", t0.Add(10*time.Minute)); ok || err != nil {
		t.Errorf("get at expiry: ok %v, %v; want a miss", ok, err)
	}
	if _, ok, err := s.CacheGet(ctx, "other", t0); ok || err != nil {
		t.Errorf("get of an unknown key: ok %v, %v; want a miss", ok, err)
	}
	// A later put replaces the entry and sweeps expired ones.
	e.Output, e.CreatedAt, e.ExpiresAt = json.RawMessage(`{"status":503}`), t0.Add(time.Hour), t0.Add(2*time.Hour)
	old := CacheEntry{Key: "gone", Op: "x.y", Output: json.RawMessage(`{}`), CreatedAt: t0, ExpiresAt: t0.Add(time.Second)}
	if err := s.CachePut(ctx, old); err != nil {
		t.Fatal(err)
	}
	if err := s.CachePut(ctx, e); err != nil {
		t.Fatal(err)
	}
	got, ok, _ = s.CacheGet(ctx, "k1", t0.Add(time.Hour))
	if !ok || string(got.Output) != `{"status":503}` {
		t.Errorf("replaced entry: %v %s", ok, got.Output)
	}
	list, err := s.CacheList(ctx, CacheFilter{})
	if err != nil || len(list) != 1 || list[0].Key != "k1" {
		t.Errorf("after the sweep: %+v, %v; want only k1", list, err)
	}
	if err := s.CachePut(ctx, CacheEntry{Key: "big", Output: make(json.RawMessage, MaxCacheOutput+1)}); err != ErrCacheTooLarge {
		t.Errorf("oversized output: %v, want ErrCacheTooLarge", err)
	}
}

func TestCacheListAndClearByPlaybookAndOp(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	for i, e := range []CacheEntry{
		{Key: "a", Op: "shell.exec", Playbook: "build"},
		{Key: "b", Op: "http.request", Playbook: "build"},
		{Key: "c", Op: "shell.exec", Playbook: "deploy"},
	} {
		e.Output, e.CreatedAt, e.ExpiresAt = json.RawMessage(`{}`), t0.Add(time.Duration(i)*time.Second), t0.Add(time.Hour)
		if err := s.CachePut(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	keys := func(f CacheFilter) []string {
		list, err := s.CacheList(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range list {
			out = append(out, c.Key)
		}
		return out
	}
	if diff := cmp.Diff([]string{"c", "b", "a"}, keys(CacheFilter{})); diff != "" {
		t.Errorf("all, newest first (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"c", "a"}, keys(CacheFilter{Op: "shell.exec"})); diff != "" {
		t.Errorf("by op (-want +got):\n%s", diff)
	}
	n, err := s.CacheClear(ctx, CacheFilter{Playbook: "build", Op: "shell.exec"})
	if err != nil || n != 1 {
		t.Fatalf("clear build/shell.exec: %d, %v; want 1", n, err)
	}
	if diff := cmp.Diff([]string{"c", "b"}, keys(CacheFilter{})); diff != "" {
		t.Errorf("after clear (-want +got):\n%s", diff)
	}
	if n, _ := s.CacheClear(ctx, CacheFilter{}); n != 2 {
		t.Errorf("clear all removed %d, want 2", n)
	}
}

// TestStatsCPU records steps and items with and without resources, and a
// cache hit whose output still carries the resources of the run that
// filled the cache: only the calls that ran a process count.
func TestStatsCPU(t *testing.T) {
	s := openStore(t)
	res := func(user, sys, rss int) map[string]any {
		return map[string]any{"exit_code": 0, "resources": map[string]any{"cpu_user_ms": float64(user), "cpu_sys_ms": float64(sys), "max_rss_kb": float64(rss)}}
	}
	at := ptr(t0)
	r := &report.Report{ReportVersion: report.FormatVersion, RunID: "r", Playbook: report.Playbook{Name: "p"}, Status: report.StatusSucceeded, StartedAt: t0,
		Steps: []report.Step{
			{ID: "a", Op: "shell.exec", Status: report.StatusSucceeded, StartedAt: at, Attempts: 1, Output: res(100, 10, 2000)},
			{ID: "b", Op: "shell.exec", Status: report.StatusSucceeded, StartedAt: at, Attempts: 1, Output: res(300, 20, 9000)},
			{ID: "hit", Op: "shell.exec", Status: report.StatusSucceeded, StartedAt: at, Cached: true, Output: res(5000, 0, 99999)},
			{ID: "fan", Op: "acme.work", Status: report.StatusSucceeded, StartedAt: at, Attempts: 1, Items: []report.Item{
				{Index: 0, Status: report.StatusSucceeded, StartedAt: at, Attempts: 1, Output: res(40, 0, 100)},
				{Index: 1, Status: report.StatusSucceeded, StartedAt: at, Attempts: 1, Cached: true, Output: res(70, 0, 100)},
			}},
			{ID: "log", Op: "control.log", Status: report.StatusSucceeded, StartedAt: at, Attempts: 1, Output: map[string]any{"message": "x"}},
		}}
	mustRecord(t, s, r, "")
	ops, _, err := s.Stats(context.Background(), t0.Add(-time.Minute), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*CPUStats{}
	for _, o := range ops {
		got[o.Op] = o.CPU
	}
	want := map[string]*CPUStats{
		"shell.exec":  {Count: 2, P50MS: 110, P95MS: 320, MaxRSSKB: 9000},
		"acme.work":   {Count: 1, P50MS: 40, P95MS: 40, MaxRSSKB: 100},
		"control.log": nil,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cpu stats (-want +got):\n%s", diff)
	}
	list, err := s.ResourceStats(context.Background(), t0.Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]OpResources{{Op: "acme.work", CPUStats: *want["acme.work"]}, {Op: "shell.exec", CPUStats: *want["shell.exec"]}}, list); diff != "" {
		t.Errorf("ResourceStats (-want +got):\n%s", diff)
	}
}
