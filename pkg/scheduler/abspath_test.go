package scheduler

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// pathsStore is a Store that keeps the playbook path of every slot the
// scheduler claims or settles.
type pathsStore struct {
	Store
	mu    sync.Mutex
	paths []string
}

func (p *pathsStore) ClaimSlots(ctx context.Context, slots []history.Slot) ([]bool, error) {
	p.mu.Lock()
	for _, sl := range slots {
		p.paths = append(p.paths, sl.Path)
	}
	p.mu.Unlock()
	return p.Store.ClaimSlots(ctx, slots)
}

func (p *pathsStore) SettleSlot(ctx context.Context, sl history.Slot) error {
	p.mu.Lock()
	p.paths = append(p.paths, sl.Path)
	p.mu.Unlock()
	return p.Store.SettleSlot(ctx, sl)
}

// The slots of a playbook given by a relative path are recorded with the
// absolute path the playbook got at load, not one made anew from the
// working directory on every slot; /healthz names it so too.
func TestSlotsRecordLoadedAbsolutePath(t *testing.T) {
	t10 := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	h := newHarness(t, t10)
	st := &pathsStore{Store: h.s.cfg.Store}
	h.s.cfg.Store = st
	pb := playbook("p", "@every 1m")
	pb.File, pb.AbsFile = "jobs/p.yaml", "/srv/jobs/p.yaml"
	h.load(pb)
	h.run(3 * time.Minute)
	h.quiesce()

	st.mu.Lock()
	paths := append([]string(nil), st.paths...)
	st.mu.Unlock()
	if len(paths) < 2 {
		t.Fatalf("%d slot records, want the claims and settlements of 3 slots", len(paths))
	}
	for i, p := range paths {
		if p != "/srv/jobs/p.yaml" {
			t.Errorf("slot record %d has path %q, want the loaded absolute path /srv/jobs/p.yaml", i, p)
		}
	}
	if hl := h.s.Health(); len(hl.Playbooks) != 1 || hl.Playbooks[0].Path != "/srv/jobs/p.yaml" {
		t.Errorf("healthz playbooks: %+v, want p at /srv/jobs/p.yaml", hl.Playbooks)
	}
}
