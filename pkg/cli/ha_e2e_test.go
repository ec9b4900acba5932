package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/scheduler"
)

// The tests here start several `serve` processes (the built binary) on
// one PostgreSQL database, as replicas behind a load balancer would run,
// and check what the shared store and the run queue promise: every run
// executes exactly once, every slot fires once, a replica or a leader
// killed with SIGKILL is taken over within the lease, and a database
// restart loses and doubles nothing. Each replica audits to a file of its
// own, so an execution is counted wherever it happened.
//
// The tests run beside each other (t.Parallel): each has a database, a
// directory and replicas of its own, and those that stop or restart the
// database have a server of their own (newHAClusterAlone). They wait for
// what they check, not for fixed times.

// haLease is the replicas' --lease: short, so that the tests of killed
// replicas wait seconds, not minutes.
const haLease = 3 * time.Second

// haCluster is replicas of serve on one database.
type haCluster struct {
	fix      *serveFixture
	url      string
	pool     *pgxpool.Pool
	replicas []*replica
}

type replica struct {
	p     *started
	base  string
	audit string
}

func newHACluster(t *testing.T) *haCluster {
	t.Helper()
	return newHAClusterOn(t, pgURL(t))
}

// newHAClusterAlone is newHACluster on a PostgreSQL server of the test's
// own, which it may stop and restart while other tests run.
func newHAClusterAlone(t *testing.T) (*haCluster, *pgtest.Cluster) {
	t.Helper()
	pg := pgtest.Private(t)
	return newHAClusterOn(t, strings.Replace(pg.NewDatabase(t), "postgres@", "postgres:"+secret+"@", 1)), pg
}

// newHAClusterOn is newHACluster on the database at url.
func newHAClusterOn(t *testing.T, url string) *haCluster {
	t.Helper()
	binary(t)
	f := newServeFixture(t)
	// The URL carries a password (the test server trusts local
	// connections): no replica may ever print it.
	c := &haCluster{fix: f, url: url}
	t.Cleanup(func() {
		for _, r := range c.replicas {
			if strings.Contains(r.p.stderr.String(), secret) {
				t.Errorf("replica %s printed the database password:\n%s", r.base, r.p.stderr.String())
			}
		}
	})
	pool, err := pgxpool.New(context.Background(), c.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	c.pool = pool
	return c
}

// start starts a replica with the cluster's playbooks and extra flags.
func (c *haCluster) start(t *testing.T, extra ...string) *replica {
	t.Helper()
	audit := filepath.Join(c.fix.dir, fmt.Sprintf("audit-%d.log", len(c.replicas)))
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--keys", c.fix.keys, "--playbooks", c.fix.playbooks,
		"--state", c.url, "--audit-log", audit, "--lease", haLease.String(), "--max-queued", "1000", "--log-level", "warn"}, extra...)
	p := start(t, "listening on", args...)
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	m := listenRE.FindStringSubmatch(p.stderr.String())
	if m == nil {
		t.Fatalf("no address in %q", p.stderr.String())
	}
	r := &replica{p: p, base: m[1], audit: audit}
	c.replicas = append(c.replicas, r)
	return r
}

// submit starts a playbook's run through replica r and returns its id;
// while the database restarts, it tries again.
func (c *haCluster) submit(t *testing.T, r *replica, playbook string) string {
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := apiCall(t, "POST", r.base+"/api/v1/playbooks/"+playbook+"/runs", c.fix.admin, map[string]any{})
		if code == http.StatusAccepted {
			return body["run_id"].(string)
		}
		if time.Now().After(deadline) {
			t.Fatalf("POST runs of %s: %d %v", playbook, code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// count returns the number a query selects.
func (c *haCluster) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := c.pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// waitWithin polls cond until it holds or d passes.
func waitWithin(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// executions counts, per run id, the executions of step in every
// replica's audit log.
func (c *haCluster) executions(t *testing.T, step string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, r := range c.replicas {
		f, err := os.Open(r.audit)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var l struct {
				RunID string `json:"run_id"`
				Step  string `json:"step"`
			}
			if json.Unmarshal(sc.Bytes(), &l) == nil && l.Step == step {
				out[l.RunID]++
			}
		}
		f.Close()
	}
	return out
}

// TestReplicasRunEachAPIRunOnce submits 200 runs, spread over two
// replicas: each one is recorded succeeded and executed exactly once, by
// one replica or the other.
func TestReplicasRunEachAPIRunOnce(t *testing.T) {
	t.Parallel()
	c := newHACluster(t)
	a, b := c.start(t), c.start(t)
	const n = 200
	ids := make(chan string, n)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				r := a
				if i%2 == 1 {
					r = b
				}
				ids <- c.submit(t, r, "hello")
			}
		}()
	}
	wg.Wait()
	close(ids)
	submitted := map[string]bool{}
	for id := range ids {
		submitted[id] = true
	}
	if len(submitted) != n {
		t.Fatalf("%d distinct run ids for %d submissions", len(submitted), n)
	}
	waitWithin(t, 2*time.Minute, "every run recorded as ended", func() bool {
		return c.count(t, `SELECT count(*) FROM runs WHERE playbook = 'hello' AND status != 'running'`) == n
	})
	if got := c.count(t, `SELECT count(*) FROM runs WHERE playbook = 'hello' AND status = 'succeeded'`); got != n {
		t.Errorf("%d of %d runs succeeded", got, n)
	}
	ran := c.executions(t, "greet")
	perReplica := map[string]int{}
	for _, r := range c.replicas {
		perReplica[r.base] = len(c.executionsOf(t, r, "greet"))
	}
	for id := range submitted {
		if ran[id] != 1 {
			t.Errorf("run %s executed %d times", id, ran[id])
		}
	}
	if len(ran) != n {
		t.Errorf("%d runs executed, want %d", len(ran), n)
	}
	t.Logf("executions per replica: %v", perReplica)

	// Each replica reports the store, the leadership and the queue.
	var h struct {
		Status     string `json:"status"`
		StoreOK    bool   `json:"store_ok"`
		Leader     *bool  `json:"leader"`
		QueueDepth *int   `json:"queue_depth"`
	}
	getJSON(t, a.base+"/healthz", &h)
	if h.Status != "ok" || !h.StoreOK || h.Leader == nil || h.QueueDepth == nil || *h.QueueDepth != 0 {
		t.Errorf("/healthz of a replica: %+v", h)
	}
	req, _ := http.NewRequest("GET", b.base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+c.fix.admin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, name := range []string{"arsenal_queue_depth 0", "arsenal_queue_job_latency_seconds_count", "arsenal_queue_rescues_total", "arsenal_leader_changes_total"} {
		if !strings.Contains(string(metrics), name) {
			t.Errorf("/metrics has no %s", name)
		}
	}
}

// runnerOf waits until one of a and b has run step of run id, and returns
// it and the other.
func (c *haCluster) runnerOf(t *testing.T, id, step string, a, b *replica) (runner, other *replica) {
	t.Helper()
	waitWithin(t, 20*time.Second, "the run started on a replica", func() bool {
		for i, r := range []*replica{a, b} {
			if c.executionsOf(t, r, step)[id] == 1 {
				runner, other = r, []*replica{b, a}[i]
				return true
			}
		}
		return false
	})
	return runner, other
}

func (c *haCluster) executionsOf(t *testing.T, r *replica, step string) map[string]int {
	only := &haCluster{replicas: []*replica{r}}
	return only.executions(t, step)
}

// TestCancelAndEventsFromAnotherReplica: a run executing on one replica
// is streamed and cancelled through the other.
func TestCancelAndEventsFromAnotherReplica(t *testing.T) {
	t.Parallel()
	c := newHACluster(t)
	a, b := c.start(t), c.start(t)
	id := c.submit(t, a, "sleeper")
	runner, other := c.runnerOf(t, id, "prepare", a, b)
	req, _ := http.NewRequest("GET", other.base+"/api/v1/runs/"+id+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+c.fix.admin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	events := make(chan string, 100)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if k, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				events <- k
			}
		}
	}()
	expect := func(kind string) {
		t.Helper()
		timeout := time.After(20 * time.Second)
		for {
			select {
			case k, ok := <-events:
				if !ok {
					t.Fatalf("the relayed stream ended before %s", kind)
				}
				if k == kind {
					return
				}
			case <-timeout:
				t.Fatalf("no %s relayed by the other replica", kind)
			}
		}
	}
	expect("step_started")
	code, body := apiCall(t, "POST", other.base+"/api/v1/runs/"+id+"/cancel", c.fix.admin, nil)
	if code != http.StatusAccepted {
		t.Fatalf("cancel through the other replica: %d %v", code, body)
	}
	expect("run_finished")
	waitWithin(t, 20*time.Second, "the run recorded cancelled", func() bool {
		return c.count(t, `SELECT count(*) FROM runs WHERE id = $1 AND status = 'cancelled'`, id) == 1
	})
	if c.executionsOf(t, runner, "cleanup")[id] != 1 {
		t.Errorf("the finally step of the cancelled run did not run on its replica")
	}
}

// TestReplicaKilledMidRunIsInterrupted: a replica killed with SIGKILL
// while it runs a run that holds a concurrency group: the run is
// interrupted within the lease (never left running), is not run again,
// and the group is free for the next run.
func TestReplicaKilledMidRunIsInterrupted(t *testing.T) {
	t.Parallel()
	c := newHACluster(t)
	writePlaybook(t, c.fix.playbooks, "exclusive.yaml", `version: 1
name: exclusive
concurrency: {group: the-one, policy: queue}
steps:
  - {id: hold, op: control.sleep, with: {duration: 10m}}
`)
	writePlaybook(t, c.fix.playbooks, "exclusive-quick.yaml", `version: 1
name: exclusive-quick
concurrency: {group: the-one, policy: queue}
steps:
  - {id: quick, op: control.noop}
`)
	a, b := c.start(t), c.start(t)
	id := c.submit(t, a, "exclusive")
	var victim, survivor *replica
	waitWithin(t, 20*time.Second, "the run holds its group on a replica", func() bool {
		var owner string
		c.pool.QueryRow(context.Background(), `SELECT o.pid::text FROM runs r JOIN owners o ON o.owner = r.owner WHERE r.id = $1`, id).Scan(&owner)
		for i, r := range []*replica{a, b} {
			if owner == fmt.Sprint(r.p.cmd.Process.Pid) {
				victim, survivor = r, []*replica{b, a}[i]
			}
		}
		return victim != nil
	})
	killed := time.Now()
	victim.p.cmd.Process.Signal(syscall.SIGKILL)
	<-victim.p.done
	waitWithin(t, 4*haLease, "the run of the killed replica marked interrupted", func() bool {
		return c.count(t, `SELECT count(*) FROM runs WHERE id = $1 AND status = 'interrupted'`, id) == 1
	})
	t.Logf("interrupted %s after the kill (lease %s)", time.Since(killed).Round(100*time.Millisecond), haLease)
	next := c.submit(t, survivor, "exclusive-quick")
	waitWithin(t, 20*time.Second, "the next run of the group got it and ended", func() bool {
		return c.count(t, `SELECT count(*) FROM runs WHERE id = $1 AND status = 'succeeded'`, next) == 1
	})
	c.letGo(t, id)
	if n := c.count(t, `SELECT count(*) FROM runs WHERE playbook = 'exclusive'`); n != 1 {
		t.Errorf("%d runs of the playbook; an interrupted run must not run again without retry_on_node_loss", n)
	}
}

// TestRetryOnNodeLoss: a playbook that opts in runs again, once, on the
// surviving replica.
func TestRetryOnNodeLoss(t *testing.T) {
	t.Parallel()
	c := newHACluster(t)
	writePlaybook(t, c.fix.playbooks, "idem.yaml", `version: 1
name: idem
retry_on_node_loss: true
steps:
  - {id: wait, op: control.sleep, with: {duration: 2m}}
`)
	a, b := c.start(t), c.start(t)
	id := c.submit(t, a, "idem")
	var victim *replica
	waitWithin(t, 20*time.Second, "the run started", func() bool {
		var pid string
		c.pool.QueryRow(context.Background(), `SELECT o.pid::text FROM runs r JOIN owners o ON o.owner = r.owner WHERE r.id = $1`, id).Scan(&pid)
		for _, r := range []*replica{a, b} {
			if pid == fmt.Sprint(r.p.cmd.Process.Pid) {
				victim = r
			}
		}
		return victim != nil
	})
	victim.p.cmd.Process.Signal(syscall.SIGKILL)
	<-victim.p.done
	waitWithin(t, 6*haLease, "a second run of the playbook running", func() bool {
		return c.count(t, `SELECT count(*) FROM runs WHERE playbook = 'idem' AND status = 'running'`) == 1 &&
			c.count(t, `SELECT count(*) FROM runs WHERE id = $1 AND status = 'interrupted'`, id) == 1
	})
	c.letGo(t, id)
	if n := c.count(t, `SELECT count(*) FROM runs WHERE playbook = 'idem'`); n != 2 {
		t.Errorf("%d runs of the playbook, want the interrupted one and one retry", n)
	}
}

// letGo waits until a replica's reap has let go the job of run id, which
// a killed replica was running: River's cancel request is on it, or it
// runs no more. The reap queues the run's retry (retry_on_node_loss)
// before it lets the job go, and looks no more at a job let go: from then
// on, the runs of its playbook are all there will be.
func (c *haCluster) letGo(t *testing.T, id string) {
	t.Helper()
	waitWithin(t, 6*haLease, "the interrupted run's job let go", func() bool {
		return c.count(t, `SELECT count(*) FROM river_job WHERE args->>'run_id' = $1 AND state = 'running'
			AND NOT (metadata ? 'cancel_attempted_at')`, id) == 0
	})
}

// decided waits until the slots of the n tick playbooks at slot (Unix ms)
// are all decided.
func (c *haCluster) decided(t *testing.T, n int, slot int64) {
	t.Helper()
	waitWithin(t, time.Until(time.UnixMilli(slot))+2*time.Minute, "the slots at "+time.UnixMilli(slot).UTC().Format(time.TimeOnly)+" decided", func() bool {
		return c.count(t, `SELECT count(*) FROM schedule_slots WHERE slot = $1`, slot) == n
	})
}

// scheduled writes n playbooks that fire every second, overlap allow: a
// slot fires beside the earlier runs still going or waiting in the queue,
// up to --max-concurrent-runs of them (see checkSlots).
func (c *haCluster) scheduled(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		writePlaybook(t, c.fix.playbooks, fmt.Sprintf("tick-%03d.yaml", i), fmt.Sprintf(`version: 1
name: tick-%03d
schedule: {cron: "@every 1s", overlap: allow}
steps:
  - {id: tick, op: control.noop}
`, i))
	}
}

// leader returns the replica whose /healthz says it leads, or nil.
func (c *haCluster) leader(t *testing.T) *replica {
	for _, r := range c.replicas {
		if r.p.cmd.ProcessState != nil {
			continue
		}
		var h struct {
			Leader bool `json:"leader"`
		}
		res, err := http.Get(r.base + "/healthz")
		if err != nil {
			continue
		}
		json.NewDecoder(res.Body).Decode(&h)
		res.Body.Close()
		if h.Leader {
			return r
		}
	}
	return nil
}

// checkSlots checks the slots of the tick playbooks from from to to (Unix
// ms, whole seconds): each was decided exactly once, none missed or
// failed; each slot fired became one run that ended and executed exactly
// once. Under overlap allow a slot is skipped, and recorded so (its run
// row skipped, never executed), when --max-concurrent-runs runs of its
// playbook are still going or waiting: on a loaded machine the run queue
// falls behind by that many seconds, and the scheduler keeps to its
// bound rather than pile up runs.
// The test holds it to that, not to a machine fast enough never to reach
// the bound.
//
// A run that a killed replica (its owner id in killed) was executing
// when it died is interrupted, not run again (the playbooks do not say
// retry_on_node_loss), and may have executed once or not at all.
func (c *haCluster) checkSlots(t *testing.T, playbooks int, from, to int64, killed ...string) {
	t.Helper()
	seconds := int((to-from)/1000) + 1
	want := playbooks * seconds
	killed = append(killed, "") // an owner no run has
	deadline := time.Now().Add(3 * time.Minute)
	for c.count(t, `SELECT count(*) FROM schedule_slots WHERE slot BETWEEN $1 AND $2`, from, to) < want ||
		c.count(t, `SELECT count(*) FROM runs WHERE triggered_by = 'schedule' AND slot BETWEEN $1 AND $2
			AND (status = 'succeeded' OR status = 'interrupted' AND owner = ANY($3))`, from, to, killed) <
			c.count(t, `SELECT count(*) FROM schedule_slots WHERE slot BETWEEN $1 AND $2 AND outcome = 'fired'`, from, to) {
		if time.Now().After(deadline) {
			c.slotsUnfinished(t, playbooks, from, to)
			for _, r := range c.replicas {
				t.Logf("replica %s (pid %d) logged:\n%s", r.base, r.p.cmd.Process.Pid, r.p.stderr.String())
			}
			t.Fatal("not within 3m0s: every slot decided, and the runs of those fired succeeded")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := c.count(t, `SELECT count(*) FROM schedule_slots WHERE slot BETWEEN $1 AND $2`, from, to); n != want {
		t.Errorf("%d slot records from %d to %d, want %d (%d playbooks, %d seconds)", n, from, to, want, playbooks, seconds)
	}
	fired := c.count(t, `SELECT count(*) FROM schedule_slots WHERE slot BETWEEN $1 AND $2 AND outcome = 'fired'`, from, to)
	if fired == 0 {
		t.Errorf("no slot fired from %d to %d", from, to)
	}
	limit := fmt.Sprintf("at most %d of its runs at once", scheduler.DefaultMaxConcurrentRuns)
	rows, err := c.pool.Query(context.Background(), `SELECT playbook, slot, outcome, message FROM schedule_slots
		WHERE slot BETWEEN $1 AND $2 AND outcome != 'fired' ORDER BY slot, playbook`, from, to)
	if err != nil {
		t.Fatal(err)
	}
	skipped := 0
	for rows.Next() {
		var pb, outcome, msg string
		var slot int64
		if err := rows.Scan(&pb, &slot, &outcome, &msg); err != nil {
			t.Fatal(err)
		}
		if outcome != "skipped" || !strings.Contains(msg, limit) {
			t.Errorf("%s at %s: %s (%s); want fired, or skipped at the limit (%s)", pb, time.UnixMilli(slot).UTC().Format(time.TimeOnly), outcome, msg, limit)
			continue
		}
		skipped++
	}
	rows.Close()
	if skipped > 0 {
		t.Logf("%d of %d slots skipped at the limit of the runs of a playbook at once: the run queue fell about %d s behind", skipped, want, scheduler.DefaultMaxConcurrentRuns)
	}
	// A slot skipped has a run row too, skipped, that never ran.
	if n := c.count(t, `SELECT count(*) FROM schedule_slots s WHERE slot BETWEEN $1 AND $2 AND outcome = 'skipped'
			AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.playbook = s.playbook AND r.slot = s.slot AND r.status = 'skipped')`, from, to); n != 0 {
		t.Errorf("%d skipped slots have no run row recorded skipped", n)
	}
	if n := c.count(t, `SELECT count(*) FROM (SELECT playbook, slot FROM runs WHERE triggered_by = 'schedule' AND slot BETWEEN $1 AND $2
			GROUP BY playbook, slot HAVING count(*) > 1) d`, from, to); n != 0 {
		t.Errorf("%d slots have more than one run", n)
	}
	if n := c.count(t, `SELECT count(*) FROM runs WHERE triggered_by = 'schedule' AND slot BETWEEN $1 AND $2 AND status != 'skipped'`, from, to); n != fired {
		t.Errorf("%d runs of the slots, want one for each of the %d fired", n, fired)
	}
	ran := c.executions(t, "tick")
	rows, err = c.pool.Query(context.Background(), `SELECT id, status = 'interrupted', status = 'skipped' FROM runs WHERE triggered_by = 'schedule' AND slot BETWEEN $1 AND $2`, from, to)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	bad, interrupted := 0, 0
	for rows.Next() {
		var id string
		var cut, skip bool
		rows.Scan(&id, &cut, &skip)
		switch {
		case skip && ran[id] != 0:
			bad++
		case skip:
		case cut && ran[id] <= 1:
			interrupted++
		case ran[id] != 1:
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d scheduled runs did not execute exactly once (or, skipped, executed)", bad)
	}
	if interrupted > 0 {
		t.Logf("%d runs interrupted by the kill", interrupted)
	}
}

// firstSecond is the first whole second after t, in Unix ms.
func firstSecond(t time.Time) int64 { return t.Truncate(time.Second).Add(time.Second).UnixMilli() }

// firstSlot waits until a leader's scheduler has loaded the n tick
// playbooks, and returns their first slot it decides, in Unix ms: the
// first whole second after it began to track them. A replica says it
// leads once it holds the lock, before its scheduler has loaded the
// playbooks, and the slots before that are not the scheduler's to fire:
// on a loaded machine the load takes seconds, and a window begun at a
// guess of when it is done held slots that never were decided.
func (c *haCluster) firstSlot(t *testing.T, n int) int64 {
	t.Helper()
	seen := time.Now()
	waitWithin(t, time.Minute, "a leader's scheduler tracking the playbooks", func() bool {
		return c.count(t, `SELECT count(*) FROM schedules WHERE playbook LIKE 'tick-%'`) == n
	})
	var since int64
	if err := c.pool.QueryRow(context.Background(), `SELECT max(since) FROM schedules WHERE playbook LIKE 'tick-%'`).Scan(&since); err != nil {
		t.Fatal(err)
	}
	t.Logf("the leader's scheduler began to track the playbooks %s after it was seen leading", time.UnixMilli(since).Sub(seen).Round(time.Millisecond))
	return firstSecond(time.UnixMilli(since))
}

// TestReplicasFireEverySlotOnce runs 100 playbooks every second for 30s
// on two replicas: one leads and decides each slot once, none is missed,
// and each slot fired runs once on either replica (see checkSlots for the
// slots skipped, under load, at the limit of a playbook's runs at once).
func TestReplicasFireEverySlotOnce(t *testing.T) {
	t.Parallel()
	c := newHACluster(t)
	const playbooks = 100
	c.scheduled(t, playbooks)
	c.start(t)
	c.start(t)
	waitWithin(t, 20*time.Second, "a leader", func() bool { return c.leader(t) != nil })
	from := c.firstSlot(t, playbooks)
	// 26 seconds of slots; checkSlots waits until they are decided.
	to := from + 25*time.Second.Milliseconds()
	c.checkSlots(t, playbooks, from, to)
}

// TestLeaderKilledIsTakenOver kills the leader with SIGKILL: another
// replica leads within the lease (and the lock's retry), fires the slots
// of the gap, and no slot is lost or doubled.
func TestLeaderKilledIsTakenOver(t *testing.T) {
	t.Parallel()
	c := newHACluster(t)
	const playbooks = 10
	c.scheduled(t, playbooks)
	c.start(t)
	c.start(t)
	c.start(t)
	var old *replica
	waitWithin(t, 20*time.Second, "a leader", func() bool { old = c.leader(t); return old != nil })
	from := c.firstSlot(t, playbooks)
	// The old leader decides three seconds of slots before it dies.
	c.decided(t, playbooks, from+2*time.Second.Milliseconds())
	var owner string
	if err := c.pool.QueryRow(context.Background(), `SELECT owner FROM owners WHERE pid = $1`, old.p.cmd.Process.Pid).Scan(&owner); err != nil {
		t.Fatalf("the leader's owner id: %v", err)
	}
	killed := time.Now()
	old.p.cmd.Process.Signal(syscall.SIGKILL)
	<-old.p.done
	var next *replica
	waitWithin(t, 3*haLease, "another replica leads", func() bool { next = c.leader(t); return next != nil })
	t.Logf("a new leader within %s of the kill (lease %s)", time.Since(killed).Round(100*time.Millisecond), haLease)
	// The slots of the gap, and four seconds of the new leader's own.
	to := firstSecond(time.Now()) + 3*time.Second.Milliseconds()
	c.checkSlots(t, playbooks, from, to, owner)
}

// TestPostgresRestartMidLoad restarts the database while two replicas
// fire schedules and take API runs: they reconnect, the runs submitted
// all run once, and the slots all fire once.
func TestPostgresRestartMidLoad(t *testing.T) {
	t.Parallel()
	c, pg := newHAClusterAlone(t)
	const playbooks = 5
	c.scheduled(t, playbooks)
	a, b := c.start(t), c.start(t)
	waitWithin(t, 20*time.Second, "a leader", func() bool { return c.leader(t) != nil })
	from := c.firstSlot(t, playbooks)
	var mu sync.Mutex
	submitted := map[string]bool{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w, r := range []*replica{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
				id := c.submit(t, r, "hello")
				mu.Lock()
				submitted[id] = true
				mu.Unlock()
				_ = w
			}
		}()
	}
	// Load before the restart: API runs taken and slots decided; after
	// it, as much again, through the new connections.
	load := func(what string, runs int, slot int64) {
		t.Helper()
		waitWithin(t, time.Until(time.UnixMilli(slot))+2*time.Minute, what, func() bool {
			mu.Lock()
			n := len(submitted)
			mu.Unlock()
			// The restart cuts this pool's connections too: a query
			// that fails on one is asked again.
			var slots int
			err := c.pool.QueryRow(context.Background(), `SELECT count(*) FROM schedule_slots WHERE slot = $1`, slot).Scan(&slots)
			return n >= runs && err == nil && slots == playbooks
		})
	}
	load("API runs and slots before the restart", 10, from+2*time.Second.Milliseconds())
	if err := pg.Restart(); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	mu.Lock()
	before := len(submitted)
	mu.Unlock()
	to := firstSecond(restarted) + 2*time.Second.Milliseconds()
	load("API runs and slots after the restart", before+10, to)
	close(stop)
	wg.Wait()
	t.Logf("%d API runs submitted around a restart at %s", len(submitted), restarted.Format(time.TimeOnly))
	deadline := time.Now().Add(2 * time.Minute)
	for c.count(t, `SELECT count(*) FROM runs WHERE playbook = 'hello' AND status = 'succeeded'`) < len(submitted) {
		if time.Now().After(deadline) {
			c.unfinished(t, submitted)
			t.Fatal("not within 2m0s: every API run succeeded")
		}
		time.Sleep(100 * time.Millisecond)
	}
	ran := c.executions(t, "greet")
	for id := range submitted {
		if ran[id] != 1 {
			t.Errorf("API run %s executed %d times", id, ran[id])
		}
	}
	if n := c.count(t, `SELECT count(*) FROM runs WHERE playbook = 'hello'`); n != len(submitted) {
		t.Errorf("%d runs of hello recorded, %d submitted", n, len(submitted))
	}
	c.checkSlots(t, playbooks, from, to)
}

// unfinished logs the submitted runs that have not succeeded, with what
// the store says of them, and each replica's log lines that name them.
func (c *haCluster) unfinished(t *testing.T, submitted map[string]bool) {
	t.Helper()
	for id := range submitted {
		var status, owner, class, msg string
		err := c.pool.QueryRow(context.Background(), `SELECT status, owner, error_class, error_message FROM runs WHERE id = $1`, id).Scan(&status, &owner, &class, &msg)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			t.Errorf("run %s: not in the store", id)
		case err != nil:
			t.Errorf("run %s: %v", id, err)
		case status != "succeeded":
			t.Errorf("run %s: %s on %q: %s %s", id, status, owner, class, msg)
		default:
			continue
		}
		for _, r := range c.replicas {
			for _, line := range strings.Split(r.p.stderr.String(), "\n") {
				if strings.Contains(line, id) {
					t.Logf("  %s", line)
				}
			}
		}
	}
}

// slotsUnfinished logs the seconds from..to whose slots are not all
// decided, and the slots that have no succeeded run (but those skipped at
// the limit of a playbook's runs at once, which never have one): their
// decision and its message, and the status and owner of each of their
// runs.
func (c *haCluster) slotsUnfinished(t *testing.T, playbooks int, from, to int64) {
	t.Helper()
	// A second whose slots are not all decided has no rows to list below.
	for slot := from; slot <= to; slot += 1000 {
		if n := c.count(t, `SELECT count(*) FROM schedule_slots WHERE slot = $1`, slot); n != playbooks {
			t.Errorf("the slots at %s: %d of %d decided", time.UnixMilli(slot).UTC().Format(time.TimeOnly), n, playbooks)
		}
	}
	rows, err := c.pool.Query(context.Background(), `SELECT s.playbook, s.slot, s.outcome || COALESCE(' (' || NULLIF(s.message, '') || ')', ''),
			COALESCE((SELECT string_agg(r.id || ' ' || r.status || ' on ' || r.owner, ', ') FROM runs r
				WHERE r.playbook = s.playbook AND r.slot = s.slot), 'no run')
		FROM schedule_slots s
		WHERE s.slot BETWEEN $1 AND $2 AND NOT EXISTS (SELECT 1 FROM runs r
			WHERE r.playbook = s.playbook AND r.slot = s.slot AND r.status = 'succeeded')
			AND NOT (s.outcome = 'skipped' AND strpos(s.message, $3) > 0)
		ORDER BY s.slot, s.playbook`, from, to, fmt.Sprintf("at most %d of its runs at once", scheduler.DefaultMaxConcurrentRuns))
	if err != nil {
		t.Errorf("the slots not succeeded: %v", err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var pb, outcome, runs string
		var slot int64
		if err := rows.Scan(&pb, &slot, &outcome, &runs); err != nil {
			t.Errorf("the slots not succeeded: %v", err)
			return
		}
		t.Errorf("%s at %s: %s, %s", pb, time.UnixMilli(slot).UTC().Format(time.TimeOnly), outcome, runs)
	}
}

// TestRelayedStreamEndsWithItsKey: a stream relayed from the replica that
// runs the run ends, as a local one does, once its caller's key leaves the
// keys file of the replica it reads from.
func TestRelayedStreamEndsWithItsKey(t *testing.T) {
	t.Parallel()
	c := newHACluster(t)
	a, b := c.start(t), c.start(t)
	id := c.submit(t, a, "sleeper")
	_, other := c.runnerOf(t, id, "prepare", a, b)
	req, _ := http.NewRequest("GET", other.base+"/api/v1/runs/"+id+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+c.fix.viewer)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("events as viewer: %d", res.StatusCode)
	}
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
		}
	}()
	data, err := os.ReadFile(c.fix.keys)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.Contains(line, "name: viewer") {
			kept = append(kept, line)
		}
	}
	if err := os.WriteFile(c.fix.keys, []byte(strings.Join(kept, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	other.p.cmd.Process.Signal(syscall.SIGHUP)
	select {
	case <-ended:
	case <-time.After(20 * time.Second):
		t.Fatal("the relayed stream outlived its key")
	}
	if code, _ := apiCall(t, "GET", other.base+"/api/v1/runs/"+id, c.fix.admin, nil); code != http.StatusOK {
		t.Errorf("the run is no longer readable with another key: %d", code)
	}
}
