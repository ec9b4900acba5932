package scheduler

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

var (
	benchSeconds   = flag.Int("sched.seconds", 10, "how long BenchmarkSchedule1000 runs the scheduler, in seconds")
	benchPlaybooks = flag.Int("sched.playbooks", 1000, "how many @every 1s playbooks BenchmarkSchedule1000 loads")
	benchMemory    = flag.Bool("sched.memory", false, "BenchmarkSchedule1000 keeps slots in memory instead of the history database, to tell the scheduler's own cost from the database's")
	benchRuns      = flag.Int("sched.runs", 0, "when above 0, BenchmarkSchedule1000 starts real runs of three control.noop steps through the run service, at most this many at once, recording in the same state dir")
)

// memoryStore is a Store in a map, for the benchmark only.
type memoryStore struct {
	mu    sync.Mutex
	last  map[string]time.Time
	slots map[string]map[int64]bool
}

func (m *memoryStore) TrackSchedules(_ context.Context, now time.Time, refs []history.ScheduleRef) (map[string]history.Cursor, error) {
	out := map[string]history.Cursor{}
	for _, r := range refs {
		out[r.Playbook] = history.Cursor{Since: now}
	}
	return out, nil
}

func (m *memoryStore) Pauses(context.Context) (map[string]history.Pause, error) { return nil, nil }

func (m *memoryStore) ClaimSlots(_ context.Context, slots []history.Slot) ([]bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]bool, len(slots))
	for i, sl := range slots {
		if !sl.Slot.After(m.last[sl.Playbook]) {
			continue
		}
		m.last[sl.Playbook] = sl.Slot
		out[i] = true
	}
	return out, nil
}

// timedStore measures ClaimSlots, the one store call on the way from a
// slot to its runs.
type timedStore struct {
	Store
	mu     sync.Mutex
	claims []time.Duration
}

func (t *timedStore) ClaimSlots(ctx context.Context, slots []history.Slot) ([]bool, error) {
	start := time.Now()
	ok, err := t.Store.ClaimSlots(ctx, slots)
	t.mu.Lock()
	t.claims = append(t.claims, time.Since(start))
	t.mu.Unlock()
	return ok, err
}

func (m *memoryStore) SettleSlot(context.Context, history.Slot) error       { return nil }
func (m *memoryStore) PruneSlots(context.Context, time.Time) (int64, error) { return 0, nil }

// noopRun is a run that has ended when it is started.
type noopRun struct{ id string }

var closedDone = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (r noopRun) ID() string          { return r.id }
func (noopRun) Cancel(error)          {}
func (noopRun) Done() <-chan struct{} { return closedDone }
func (noopRun) Status() report.Status { return report.StatusSucceeded }

// delayLauncher starts runs that do nothing and records, for each, how
// long after its slot Launch was called.
type delayLauncher struct {
	mu     sync.Mutex
	delays []time.Duration
	n      int
}

func (l *delayLauncher) Launch(_ context.Context, job Job) (Handle, error) {
	d := time.Since(job.Slot)
	l.mu.Lock()
	l.delays = append(l.delays, d)
	l.n++
	id := "r" + strconv.Itoa(l.n)
	l.mu.Unlock()
	return noopRun{id}, nil
}

// BenchmarkSchedule1000 runs the real scheduler, on the real clock and a
// real history database, with 1,000 playbooks scheduled @every 1s and a
// launcher whose runs do nothing, for -sched.seconds (default 10). It
// reports the fire delay (Launch called minus slot) p50, p99 and max,
// the process's CPU as a percentage of one core, and the resident memory
// of the first and last 10 s after a 5 s warm-up. It ignores b.N: one
// iteration is the whole measurement.
//
//	go test -run '^$' -bench Schedule1000 -benchtime 1x ./pkg/scheduler -args -sched.seconds 60
func BenchmarkSchedule1000(b *testing.B) {
	const warmup = 5 * time.Second
	total := time.Duration(*benchSeconds) * time.Second
	if total < warmup+2*time.Second {
		b.Fatalf("-sched.seconds must be at least %d", int((warmup+2*time.Second)/time.Second))
	}
	var st Store = &memoryStore{last: map[string]time.Time{}}
	l := &delayLauncher{}
	var launcher Launcher = l
	pbs := make([]*steps.Playbook, *benchPlaybooks)
	for i := range pbs {
		pbs[i] = &steps.Playbook{Name: fmt.Sprintf("p%04d", i), File: fmt.Sprintf("p%04d.yaml", i),
			Schedule: &steps.Schedule{Cron: "@every 1s", Location: time.UTC, Overlap: "skip", Catchup: "none"}}
	}
	switch {
	case *benchRuns > 0:
		svc, mgr, loaded := benchRunService(b, *benchRuns, len(pbs))
		defer svc.Close()
		defer mgr.Shutdown(context.Background())
		rl := NewRunLauncher(mgr, nil, nil)
		rl.Watch = func(job Job, _ *runs.Handle) <-chan struct{} { l.Launch(context.Background(), job); return nil }
		launcher, st, pbs = rl, svc.History(), loaded
	case !*benchMemory:
		hs, err := history.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		defer hs.Close()
		st = hs
	}
	ts := &timedStore{Store: st}
	s, err := New(Config{Launcher: launcher, Store: ts, MaxConcurrentRuns: max(*benchRuns, 1)})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Load(pbs); err != nil {
		b.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), total)
	defer cancel()
	var rss []int64 // one sample a second
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				rss = append(rss, residentKB())
			}
		}
	}()
	var cpuStart, cpuWarm syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &cpuStart)
	warmAt := time.Now().Add(warmup)
	var warmDelays int
	go func() {
		time.Sleep(warmup)
		syscall.Getrusage(syscall.RUSAGE_SELF, &cpuWarm)
		l.mu.Lock()
		warmDelays = len(l.delays)
		l.mu.Unlock()
	}()
	b.ResetTimer()
	if err := s.Run(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	var cpuEnd syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &cpuEnd)
	measured := time.Since(warmAt)
	sampler.Wait()

	l.mu.Lock()
	delays := slices.Clone(l.delays[warmDelays:])
	l.mu.Unlock()
	slices.Sort(delays)
	if len(delays) == 0 {
		b.Fatal("nothing fired")
	}
	pct := func(p int) time.Duration { return delays[max((len(delays)*p+99)/100, 1)-1] }
	cpu := float64(cpuTime(cpuEnd)-cpuTime(cpuWarm)) / float64(measured) * 100
	expected := int(measured/time.Second) * len(pbs)
	b.ReportMetric(float64(len(delays)), "runs")
	b.ReportMetric(float64(expected), "slots")
	b.ReportMetric(ms(pct(50)), "p50-ms")
	b.ReportMetric(ms(pct(99)), "p99-ms")
	b.ReportMetric(ms(delays[len(delays)-1]), "max-ms")
	b.ReportMetric(cpu, "cpu-%")
	ts.mu.Lock()
	claims := slices.Clone(ts.claims)
	ts.mu.Unlock()
	slices.Sort(claims)
	if len(claims) > 0 {
		b.ReportMetric(ms(claims[len(claims)/2]), "claim-p50-ms")
		b.ReportMetric(ms(claims[len(claims)-1]), "claim-max-ms")
	}
	w := int(warmup / time.Second)
	if len(rss) >= w+20 {
		first, last := mean(rss[w:w+10]), mean(rss[len(rss)-10:])
		b.ReportMetric(first/1024, "rss-first10s-MB")
		b.ReportMetric(last/1024, "rss-last10s-MB")
	}
	b.Logf("%d playbooks @every 1s for %s after %s warm-up: %d runs; fire delay p50 %s, p99 %s, max %s; CPU %.1f%% of one core; RSS samples (KB) %v",
		len(pbs), measured.Round(time.Second), warmup, len(delays), pct(50), pct(99), delays[len(delays)-1], cpu, rss)
}

// benchRunService is a run service recording in a temporary state dir,
// with n playbooks @every 1s of three control.noop steps loaded from
// files, as `schedule` has them.
func benchRunService(b *testing.B, maxRunning, n int) (*runs.Service, *runs.Manager, []*steps.Playbook) {
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { reg.Close() })
	dir := b.TempDir()
	svc, err := runs.NewService(runs.Config{Registry: reg, StateDir: filepath.Join(dir, "state")})
	if err != nil {
		b.Fatal(err)
	}
	mgr := runs.NewManager(svc, runs.Limits{MaxRunning: maxRunning, MaxQueued: 1 << 20})
	pbs := make([]*steps.Playbook, n)
	for i := range pbs {
		path := filepath.Join(dir, fmt.Sprintf("p%04d.yaml", i))
		text := fmt.Sprintf("version: 1\nname: p%04d\nschedule: {cron: \"@every 1s\"}\nsteps:\n  - {id: a, op: control.noop}\n  - {id: b, op: control.noop}\n  - {id: c, op: control.noop}\n", i)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
		if pbs[i], err = steps.Load(path, reg); err != nil {
			b.Fatal(err)
		}
	}
	return svc, mgr, pbs
}

func cpuTime(r syscall.Rusage) time.Duration {
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mean(v []int64) float64 {
	var s int64
	for _, x := range v {
		s += x
	}
	return float64(s) / float64(len(v))
}

// residentKB reads the process's resident set size from /proc.
func residentKB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}
