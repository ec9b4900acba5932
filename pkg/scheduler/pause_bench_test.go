package scheduler

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// pausesStore is a Store whose Pauses answer a fixed map, for the
// benchmark only.
type pausesStore struct {
	memoryStore
	paused map[string]history.Pause
}

func (p *pausesStore) Pauses(context.Context) (map[string]history.Pause, error) {
	return p.paused, nil
}

// BenchmarkPausedSlots measures the pause check of one tick that finds a
// slot due for each of 1,000 paused playbooks, their files some
// directories deep behind a symlink (as a deploy's current -> release
// link puts them): one op is the check of the whole batch.
//
//	go test -run '^$' -bench PausedSlots -benchmem ./pkg/scheduler
func BenchmarkPausedSlots(b *testing.B) {
	const n = 1000
	root := b.TempDir()
	release := filepath.Join(root, "releases", "r1", "ops", "jobs", "nightly")
	if err := os.MkdirAll(release, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "releases", "r1"), filepath.Join(root, "current")); err != nil {
		b.Fatal(err)
	}
	st := &pausesStore{paused: map[string]history.Pause{}}
	s, err := New(Config{Launcher: &delayLauncher{}, Store: st})
	if err != nil {
		b.Fatal(err)
	}
	batch := make([]decision, n)
	for i := range batch {
		name := "p" + strconv.Itoa(i)
		file := filepath.Join(root, "current", "ops", "jobs", "nightly", name+".yaml")
		if err := os.WriteFile(filepath.Join(release, name+".yaml"), nil, 0o600); err != nil {
			b.Fatal(err)
		}
		pb := &steps.Playbook{Name: name, File: file, AbsFile: file}
		st.paused[name] = history.Pause{Playbook: name, Path: history.PausePath(file), By: "alice", At: time.Unix(0, 0)}
		batch[i].e = &entry{pb: pb}
	}
	now := time.Now()
	b.ResetTimer()
	for b.Loop() {
		for i := range batch {
			batch[i].rec = history.Slot{Playbook: batch[i].e.pb.Name, Outcome: history.SlotFired}
		}
		s.applyPauses(batch, now)
	}
	b.StopTimer()
	for _, d := range batch {
		if d.rec.Outcome != history.SlotSkipped {
			b.Fatalf("%s: %s, want skipped for its pause", d.e.pb.Name, d.rec.Outcome)
		}
	}
}
