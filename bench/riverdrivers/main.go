// Command riverdrivers measures River, the job queue of the PostgreSQL
// store, on its two drivers: riverpgxv5 on PostgreSQL and riversqlite on
// the embedded pure-Go SQLite (modernc.org/sqlite) that a state dir uses.
// It answers whether one queue code path could serve both stores, and at
// what cost: for each driver it migrates River's tables, starts a client
// with a no-op worker, inserts -jobs jobs from -clients goroutines one at
// a time (as API requests would), and prints the jobs per second from the
// first insert to the last completion, and the p50 and p99 of the time
// from a job's insert to the start of its work.
//
//	go run ./bench/riverdrivers -jobs 2000 -clients 8
//
// PostgreSQL is a private server started for the run (as the tests start
// one; the PostgreSQL server programs must be installed).
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	_ "modernc.org/sqlite"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
)

type noopArgs struct {
	Sent int64 `json:"sent"` // Unix nanoseconds at insert
}

func (noopArgs) Kind() string { return "noop" }

// worker records each job's wait, from insert to work.
type worker struct {
	river.WorkerDefaults[noopArgs]
	mu    sync.Mutex
	waits []time.Duration
	done  atomic.Int64
	all   chan struct{}
	n     int64
}

func (w *worker) Work(_ context.Context, job *river.Job[noopArgs]) error {
	wait := time.Since(time.Unix(0, job.Args.Sent))
	w.mu.Lock()
	w.waits = append(w.waits, wait)
	w.mu.Unlock()
	if w.done.Add(1) == w.n {
		close(w.all)
	}
	return nil
}

type result struct {
	name       string
	perSecond  float64
	p50, p99   time.Duration
	insertP99  time.Duration
	setupError error
}

func main() {
	jobs := flag.Int("jobs", 2000, "jobs per driver")
	clients := flag.Int("clients", 8, "goroutines inserting jobs")
	rate := flag.Float64("rate", 0, "insert at most `N` jobs a second in all (0: as fast as they go), to see the wait of a queue that keeps up")
	flag.Parse()
	ctx := context.Background()

	var results []result
	cluster, err := pgtest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "postgres:", err)
		os.Exit(1)
	}
	defer cluster.Stop()
	pool, err := pgxpool.New(ctx, cluster.URL("postgres"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// The queue of the PostgreSQL store fetches at most every 10ms
	// (pkg/queue); LISTEN/NOTIFY wakes it on each insert.
	results = append(results, measure(ctx, "riverpgxv5 (PostgreSQL, LISTEN/NOTIFY), cooldown 10ms", riverpgxv5.New(pool), 10*time.Millisecond, *jobs, *clients, *rate))
	pool.Close()

	for _, poll := range []time.Duration{0, 10 * time.Millisecond} {
		dir, _ := os.MkdirTemp("", "riversqlite-")
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "queue.db")+"?"+q.Encode())
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		db.SetMaxOpenConns(1) // as riversqlite's documentation asks
		name := "riversqlite (modernc.org/sqlite), default polling"
		if poll > 0 {
			name = fmt.Sprintf("riversqlite (modernc.org/sqlite), poll and cooldown %s", poll)
		}
		results = append(results, measure(ctx, name, riversqlite.New(db), poll, *jobs, *clients, *rate))
		db.Close()
		os.RemoveAll(dir)
	}

	pace := "as fast as they go"
	if *rate > 0 {
		pace = fmt.Sprintf("at %.0f a second in all", *rate)
	}
	fmt.Printf("%d jobs, inserted one at a time by %d goroutines %s, no-op worker, 10 workers\n\n", *jobs, *clients, pace)
	fmt.Printf("%-55s %10s %12s %12s %14s\n", "driver", "jobs/s", "wait p50", "wait p99", "insert p99")
	for _, r := range results {
		if r.setupError != nil {
			fmt.Printf("%-55s failed: %v\n", r.name, r.setupError)
			continue
		}
		fmt.Printf("%-55s %10.0f %12s %12s %14s\n", r.name, r.perSecond, r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.insertP99.Round(time.Microsecond))
	}
}

func measure[TTx any](ctx context.Context, name string, driver riverdriver.Driver[TTx], poll time.Duration, jobs, clients int, rate float64) result {
	res := result{name: name}
	m, err := rivermigrate.New(driver, nil)
	if err != nil {
		res.setupError = err
		return res
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		res.setupError = fmt.Errorf("migrate: %w", err)
		return res
	}
	w := &worker{all: make(chan struct{}), n: int64(jobs)}
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	cfg := &river.Config{Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}}, Workers: workers}
	if poll > 0 {
		cfg.FetchPollInterval, cfg.FetchCooldown = poll, poll
	}
	client, err := river.NewClient(driver, cfg)
	if err != nil {
		res.setupError = err
		return res
	}
	if err := client.Start(ctx); err != nil {
		res.setupError = err
		return res
	}
	defer client.Stop(ctx)
	time.Sleep(500 * time.Millisecond) // let it elect a leader and settle
	var insertMu sync.Mutex
	var inserts []time.Duration
	start := time.Now()
	var wg sync.WaitGroup
	per := jobs / clients
	for c := range clients {
		n := per
		if c == clients-1 {
			n = jobs - per*(clients-1)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var tick <-chan time.Time
			if rate > 0 {
				tk := time.NewTicker(time.Duration(float64(clients) * float64(time.Second) / rate))
				defer tk.Stop()
				tick = tk.C
			}
			for range n {
				if tick != nil {
					<-tick
				}
				t := time.Now()
				if _, err := client.Insert(ctx, noopArgs{Sent: t.UnixNano()}, nil); err != nil {
					fmt.Fprintln(os.Stderr, name, "insert:", err)
					return
				}
				d := time.Since(t)
				insertMu.Lock()
				inserts = append(inserts, d)
				insertMu.Unlock()
			}
		}()
	}
	wg.Wait()
	select {
	case <-w.all:
	case <-time.After(5 * time.Minute):
		res.setupError = fmt.Errorf("only %d of %d jobs were worked in 5 minutes", w.done.Load(), jobs)
		return res
	}
	elapsed := time.Since(start)
	res.perSecond = float64(jobs) / elapsed.Seconds()
	slices.Sort(w.waits)
	slices.Sort(inserts)
	res.p50, res.p99 = pct(w.waits, 50), pct(w.waits, 99)
	res.insertP99 = pct(inserts, 99)
	return res
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := (len(sorted)*p + 99) / 100
	return sorted[max(k, 1)-1]
}
