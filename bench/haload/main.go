// Command haload measures `arsenal-run serve` on replicas that share a
// PostgreSQL store beside one `serve` on a SQLite state dir, with the same
// workloads, in the same run:
//
//   - api: -runs playbook runs of one control.noop step, submitted through
//     the API by -clients goroutines (spread over the replicas): the runs
//     per second from the first submission to the last run recorded as
//     ended, and the queue latency of each run (its start in the history
//     minus the moment its submission was answered) p50 and p99;
//
//   - schedule: -playbooks playbooks `@every 1s` (overlap skip, the
//     default) for -seconds: the fire delay (the moment the slot was
//     claimed in the store minus the slot) and the start delay (the run's
//     start minus the slot) p50 and p99, over the slots of the middle of
//     the run, and how many slots fired or were skipped.
//
//     go run ./bench/haload -replicas 2 -runs 2000 -clients 16 -playbooks 1000 -seconds 30
//
// PostgreSQL is a private server started for the run, with its default
// durability (fsync on); the PostgreSQL server programs must be installed.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/server"
)

var (
	binFlag   = flag.String("bin", "", "the arsenal-run binary (default: build ./cmd/arsenal-run)")
	replicas  = flag.Int("replicas", 2, "serve replicas on PostgreSQL")
	runsN     = flag.Int("runs", 2000, "API runs per store")
	clients   = flag.Int("clients", 16, "goroutines submitting API runs")
	playbooks = flag.Int("playbooks", 1000, "scheduled playbooks, @every 1s (0: no schedule workload)")
	seconds   = flag.Int("seconds", 30, "how long the schedules run")
	rate      = flag.Float64("rate", 0, "submit at most `N` API runs a second in all (0: as fast as they are answered), to see the latency of a queue that keeps up")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "haload:", err)
		os.Exit(1)
	}
}

type result struct {
	name                   string
	perSecond              float64
	latP50, latP99         time.Duration
	fireP50, fireP99       time.Duration
	startP50, startP99     time.Duration
	fired, skipped, missed int
}

func run() error {
	dir, err := os.MkdirTemp("", "haload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := *binFlag
	if bin == "" {
		bin = filepath.Join(dir, "arsenal-run")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/arsenal-run").CombinedOutput(); err != nil {
			return fmt.Errorf("go build: %v\n%s", err, out)
		}
	}
	key, digest, err := server.NewKey()
	if err != nil {
		return err
	}
	keys := filepath.Join(dir, "keys.yaml")
	os.WriteFile(keys, []byte("version: 1\nkeys:\n  - {name: bench, sha256: "+digest+", roles: [admin]}\n"), 0o600)
	apiDir := filepath.Join(dir, "api")
	os.Mkdir(apiDir, 0o755)
	os.WriteFile(filepath.Join(apiDir, "noop.yaml"), []byte("version: 1\nname: noop\nsteps:\n  - {id: a, op: control.noop}\n"), 0o644)
	schedDir := filepath.Join(dir, "schedules")
	os.Mkdir(schedDir, 0o755)
	for i := range *playbooks {
		os.WriteFile(filepath.Join(schedDir, fmt.Sprintf("tick-%04d.yaml", i)),
			[]byte(fmt.Sprintf("version: 1\nname: tick-%04d\nschedule: {cron: \"@every 1s\"}\nsteps:\n  - {id: a, op: control.noop}\n", i)), 0o644)
	}
	cluster, err := pgtest.StartDurable()
	if err != nil {
		return err
	}
	defer cluster.Stop()
	b := &bench{bin: bin, dir: dir, keys: keys, key: key}

	var results []result
	// The same workloads on one host with SQLite, then on the replicas.
	sqliteAPI, err := b.api("sqlite", apiDir, 1, func(i int) []string { return []string{"--state-dir", filepath.Join(dir, "sqlite-api")} },
		sqliteQuery(filepath.Join(dir, "sqlite-api")))
	if err != nil {
		return err
	}
	var sqliteSched, pgSched result
	if *playbooks > 0 {
		sqliteSched, err = b.schedule("sqlite", schedDir, 1, func(i int) []string { return []string{"--state-dir", filepath.Join(dir, "sqlite-sched")} },
			sqliteQuery(filepath.Join(dir, "sqlite-sched")))
		if err != nil {
			return err
		}
	}
	pgArgs := func(db string) (func(int) []string, querier, error) {
		ctx := context.Background()
		if err := cluster.Exec(ctx, "CREATE DATABASE "+db); err != nil {
			return nil, nil, err
		}
		url := cluster.URL(db)
		pool, err := pgxpool.New(ctx, url)
		if err != nil {
			return nil, nil, err
		}
		return func(i int) []string {
			return []string{"--state", url, "--audit-log", filepath.Join(dir, fmt.Sprintf("%s-audit-%d.log", db, i)), "--lease", "10s"}
		}, pgQuery{pool}, nil
	}
	args, q, err := pgArgs("api")
	if err != nil {
		return err
	}
	pgAPI, err := b.api(fmt.Sprintf("postgres, %d replicas", *replicas), apiDir, *replicas, args, q)
	if err != nil {
		return err
	}
	if *playbooks > 0 {
		args, q, err = pgArgs("sched")
		if err != nil {
			return err
		}
		pgSched, err = b.schedule(fmt.Sprintf("postgres, %d replicas", *replicas), schedDir, *replicas, args, q)
		if err != nil {
			return err
		}
	}
	results = append(results, merge(sqliteAPI, sqliteSched), merge(pgAPI, pgSched))

	load, _ := os.ReadFile("/proc/loadavg")
	pace := "as fast as answered"
	if *rate > 0 {
		pace = fmt.Sprintf("at %.0f/s", *rate)
	}
	fmt.Printf("api: %d runs of one control.noop step, %d clients, %s; schedule: %d playbooks @every 1s for %ds (overlap skip)\nload average after: %s\n",
		*runsN, *clients, pace, *playbooks, *seconds, strings.Join(strings.Fields(string(load))[:3], " "))
	fmt.Printf("%-24s %10s %14s %14s %14s %14s %16s\n", "store", "api runs/s", "queue p50", "queue p99", "claim p50/p99", "start p50/p99", "fired/skipped/missed")
	for _, r := range results {
		fmt.Printf("%-24s %10.0f %14s %14s %14s %14s %16s\n", r.name, r.perSecond, ms(r.latP50), ms(r.latP99),
			ms(r.fireP50)+"/"+ms(r.fireP99), ms(r.startP50)+"/"+ms(r.startP99), fmt.Sprintf("%d/%d/%d", r.fired, r.skipped, r.missed))
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }

func merge(a, s result) result {
	a.fireP50, a.fireP99, a.startP50, a.startP99 = s.fireP50, s.fireP99, s.startP50, s.startP99
	a.fired, a.skipped, a.missed = s.fired, s.skipped, s.missed
	return a
}

type bench struct {
	bin, dir, keys, key string
}

var listenRE = regexp.MustCompile(`listening on (http://127\.0\.0\.1:[0-9]+)`)

// proc is a serve process.
type proc struct {
	cmd  *exec.Cmd
	base string
}

func (b *bench) serve(playbooks string, extra []string) (*proc, error) {
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--keys", b.keys, "--playbooks", playbooks,
		"--max-queued", "100000", "--log-level", "error"}, extra...)
	cmd := exec.Command(b.bin, args...)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(stderr)
	addr := make(chan string, 1)
	go func() {
		for sc.Scan() {
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case a := <-addr:
		return &proc{cmd: cmd, base: a}, nil
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		return nil, errors.New("serve did not start within 60s")
	}
}

func (p *proc) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

func (b *bench) start(playbooks string, n int, args func(int) []string) ([]*proc, error) {
	var ps []*proc
	for i := range n {
		p, err := b.serve(playbooks, args(i))
		if err != nil {
			for _, p := range ps {
				p.stop()
			}
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// querier reads the history of a store.
type querier interface {
	// started returns each run's start (Unix ms) by id, of the runs of
	// playbook that ended.
	ended(ctx context.Context, playbook string) (map[string]int64, error)
	// slots returns, for the slots in [from, to), the claim delay and the
	// start delay of each fired slot (ms), and the counts by outcome.
	slots(ctx context.Context, from, to int64) (fire, start []int64, outcomes map[string]int, err error)
}

func (b *bench) api(name, playbooks string, n int, args func(int) []string, q querier) (result, error) {
	ps, err := b.start(playbooks, n, args)
	if err != nil {
		return result{}, err
	}
	defer func() {
		for _, p := range ps {
			p.stop()
		}
	}()
	var mu sync.Mutex
	answered := map[string]time.Time{}
	var wg sync.WaitGroup
	first := time.Now()
	var submitErr error
	for c := range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var tick <-chan time.Time
			if *rate > 0 {
				t := time.NewTicker(time.Duration(float64(*clients) * float64(time.Second) / *rate))
				defer t.Stop()
				tick = t.C
			}
			for i := c; i < *runsN; i += *clients {
				if tick != nil {
					<-tick
				}
				id, err := b.submit(ps[i%len(ps)].base)
				mu.Lock()
				if err != nil {
					submitErr = err
					mu.Unlock()
					return
				}
				answered[id] = time.Now()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if submitErr != nil {
		return result{}, submitErr
	}
	ctx := context.Background()
	var started map[string]int64
	deadline := time.Now().Add(10 * time.Minute)
	for {
		if started, err = q.ended(ctx, "noop"); err == nil && len(started) >= *runsN {
			break
		}
		if time.Now().After(deadline) {
			return result{}, fmt.Errorf("%s: %d of %d runs ended in 10 minutes (%v)", name, len(started), *runsN, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	last := time.Now()
	var lat []int64
	for id, at := range answered {
		if s, ok := started[id]; ok {
			lat = append(lat, max(s-at.UnixMilli(), 0))
		}
	}
	slices.Sort(lat)
	return result{name: name, perSecond: float64(*runsN) / last.Sub(first).Seconds(),
		latP50: time.Duration(pct(lat, 50)) * time.Millisecond, latP99: time.Duration(pct(lat, 99)) * time.Millisecond}, nil
}

func (b *bench) submit(base string) (string, error) {
	for try := 0; ; try++ {
		req, _ := http.NewRequest("POST", base+"/api/v1/playbooks/noop/runs", bytes.NewReader([]byte("{}")))
		req.Header.Set("Authorization", "Bearer "+b.key)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", err
		}
		var body struct {
			RunID string `json:"run_id"`
		}
		json.NewDecoder(res.Body).Decode(&body)
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode == http.StatusAccepted {
			return body.RunID, nil
		}
		if res.StatusCode != http.StatusTooManyRequests || try > 1000 {
			return "", fmt.Errorf("POST runs: %s", res.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (b *bench) schedule(name, playbooks string, n int, args func(int) []string, q querier) (result, error) {
	ps, err := b.start(playbooks, n, args)
	if err != nil {
		return result{}, err
	}
	begin := time.Now()
	time.Sleep(time.Duration(*seconds) * time.Second)
	end := time.Now()
	for _, p := range ps {
		p.stop()
	}
	// The middle of the run: after loading and warming up, before the
	// stop.
	from := begin.Add(10 * time.Second).Truncate(time.Second).UnixMilli()
	to := end.Add(-3 * time.Second).Truncate(time.Second).UnixMilli()
	fire, start, outcomes, err := q.slots(context.Background(), from, to)
	if err != nil {
		return result{}, err
	}
	slices.Sort(fire)
	slices.Sort(start)
	d := func(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
	return result{name: name, fireP50: d(pct(fire, 50)), fireP99: d(pct(fire, 99)), startP50: d(pct(start, 50)), startP99: d(pct(start, 99)),
		fired: outcomes["fired"], skipped: outcomes["skipped"], missed: outcomes["missed"]}, nil
}

func pct(sorted []int64, p int) int64 {
	if len(sorted) == 0 {
		return 0
	}
	k := (len(sorted)*p + 99) / 100
	return sorted[max(k, 1)-1]
}
