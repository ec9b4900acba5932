package cli

import (
	"bufio"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

var (
	daemonSeconds   = flag.Int("daemon.seconds", 30, "how long BenchmarkScheduleDaemon runs the scheduler, in seconds, warm-up included")
	daemonPlaybooks = flag.Int("daemon.playbooks", 1000, "how many @every 1s playbooks BenchmarkScheduleDaemon schedules")
	daemonMaxRuns   = flag.Int("daemon.max-runs", 10, "the --max-concurrent-runs of BenchmarkScheduleDaemon's scheduler")
	daemonLogLevel  = flag.String("daemon.log-level", "info", "the --log-level of BenchmarkScheduleDaemon's scheduler (its log goes to a file)")
)

// daemonWarmup is left out of the measurement: loading, the first
// slots, the database's first growth.
const daemonWarmup = 10 * time.Second

// BenchmarkScheduleDaemon measures the real `arsenal-run schedule`
// process: -daemon.playbooks playbooks (default 1,000), each @every 1s with
// three control.noop steps, for -daemon.seconds, through the run service
// (history, a report per run in the state dir, the event stream, the log
// as JSON lines to a file). After a 10 s warm-up it measures:
//
//   - start delay: when each run really started (its history row's
//     started_at, taken just before the engine runs it, after any wait
//     for a place under --max-concurrent-runs) minus its slot, p50/p99/max;
//   - launch delay: the "run started" log line's delay_ms, which the
//     scheduler writes when the run really starts (after any wait for a
//     place), minus the planned time: the start delay as the log tells
//     it, jitter left out;
//   - the scheduler process's CPU (user + system, from /proc) as a
//     percentage of one core;
//   - its resident memory, the mean of the first 10 s after the warm-up
//     against the mean of the last 10 s;
//   - slots: how many were due, and how many fired, were skipped (a run
//     of the playbook still going) or missed.
//
// It ignores b.N: one iteration is the whole measurement. bench/schedule.sh
// runs it for 60 s:
//
//	go test -run '^$' -bench ScheduleDaemon -benchtime 1x ./pkg/cli/ -args -daemon.seconds 60
func BenchmarkScheduleDaemon(b *testing.B) {
	total := time.Duration(*daemonSeconds) * time.Second
	if total < daemonWarmup+20*time.Second {
		b.Fatalf("-daemon.seconds must be at least %d (a %s warm-up, then two 10 s windows)", int((daemonWarmup+20*time.Second)/time.Second), daemonWarmup)
	}
	bin := binary(b)
	dir := b.TempDir()
	jobs, state := filepath.Join(dir, "jobs"), filepath.Join(dir, "state")
	if err := os.MkdirAll(jobs, 0o755); err != nil {
		b.Fatal(err)
	}
	for i := range *daemonPlaybooks {
		text := fmt.Sprintf("version: 1\nname: p%04d\nschedule: {cron: \"@every 1s\"}\nsteps:\n  - {id: a, op: control.noop}\n  - {id: b, op: control.noop}\n  - {id: c, op: control.noop}\n", i)
		if err := os.WriteFile(filepath.Join(jobs, fmt.Sprintf("p%04d.yaml", i)), []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	logPath := filepath.Join(dir, "schedule.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		b.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "schedule", jobs, "--state-dir", state, "--log-format", "json", "--log-level", *daemonLogLevel,
		"--max-concurrent-runs", strconv.Itoa(*daemonMaxRuns), "--grace", "5s")
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-exited
		}
	}()
	pid := cmd.Process.Pid
	deadline := time.Now().Add(2 * time.Minute)
	for {
		logs, _ := os.ReadFile(logPath)
		if strings.Contains(string(logs), "scheduler started") {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("the scheduler did not start within 2 minutes:\n%s", logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	began := time.Now()

	// One sample a second, from the start of the process's scheduling.
	var samples []daemonSample
	tick := time.NewTicker(time.Second)
	for time.Since(began) < total {
		<-tick.C
		cpu, rss, err := procUsage(pid)
		if err != nil {
			b.Fatalf("reading /proc/%d: %v (did the scheduler exit?)", pid, err)
		}
		samples = append(samples, daemonSample{time.Now(), cpu, rss})
	}
	tick.Stop()
	b.StopTimer()
	// The window's last slots may still wait for a place among the
	// concurrent runs: SIGTERM would take them back, recorded missed.
	// They get the time to start first.
	time.Sleep(2 * time.Second)
	stopAt := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			b.Fatalf("the scheduler exited with %v", err)
		}
	case <-time.After(2 * time.Minute):
		b.Fatal("the scheduler did not exit within 2 minutes of SIGTERM")
	}

	w := int(daemonWarmup / time.Second)
	if len(samples) < w+20 {
		b.Fatalf("%d samples", len(samples))
	}
	from, to := samples[w-1], samples[len(samples)-1]
	cpu := float64(to.cpu-from.cpu) / float64(to.at.Sub(from.at)) * 100
	rssFirst := meanKB(samples[w : w+10])
	rssLast := meanKB(samples[len(samples)-10:])
	windowStart, windowEnd := from.at, to.at

	start, counts := startDelays(b, state, windowStart, windowEnd)
	launch := launchDelays(b, logPath, windowStart, windowEnd)
	if len(start) == 0 || len(launch) == 0 {
		b.Fatalf("no runs in the measured window (%d started, %d launched)", len(start), len(launch))
	}
	due := int(windowEnd.Truncate(time.Second).Sub(windowStart.Truncate(time.Second))/time.Second) * *daemonPlaybooks
	b.ReportMetric(float64(due), "slots-due")
	b.ReportMetric(float64(len(start)), "runs")
	b.ReportMetric(pctMS(start, 50), "start-p50-ms")
	b.ReportMetric(pctMS(start, 99), "start-p99-ms")
	b.ReportMetric(pctMS(start, 100), "start-max-ms")
	b.ReportMetric(pctMS(launch, 99), "launch-p99-ms")
	b.ReportMetric(cpu, "cpu-%")
	b.ReportMetric(rssFirst/1024, "rss-first10s-MB")
	b.ReportMetric(rssLast/1024, "rss-last10s-MB")
	logInfo, _ := os.Stat(logPath)
	b.Logf("%d playbooks @every 1s, --max-concurrent-runs %d, --log-level %s; measured %s after a %s warm-up (stopped %s after the start); load average %s",
		*daemonPlaybooks, *daemonMaxRuns, *daemonLogLevel, windowEnd.Sub(windowStart).Round(time.Second), daemonWarmup, stopAt.Sub(began).Round(time.Second), loadAverage())
	b.Logf("slots due %d: %v", due, counts)
	b.Logf("start delay (history started_at - slot): p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms over %d runs",
		pctMS(start, 50), pctMS(start, 90), pctMS(start, 99), pctMS(start, 100), len(start))
	b.Logf("launch delay (the log's delay_ms: real start - planned time): p50 %.1f ms, p99 %.1f ms, max %.1f ms over %d runs",
		pctMS(launch, 50), pctMS(launch, 99), pctMS(launch, 100), len(launch))
	b.Logf("CPU %.1f%% of one core; RSS first 10 s %.1f MB, last 10 s %.1f MB (%+.1f%%); log %d bytes",
		cpu, rssFirst/1024, rssLast/1024, (rssLast/rssFirst-1)*100, logInfo.Size())
	var rss []int64
	for _, s := range samples {
		rss = append(rss, s.rss)
	}
	b.Logf("RSS samples (KB), one a second: %v", rss)
}

// procUsage reads a process's CPU time (user + system) and resident set.
func procUsage(pid int) (time.Duration, int64, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// The fields after the command name, which is in parentheses.
	rest := string(stat[strings.LastIndexByte(string(stat), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("short /proc stat: %q", stat)
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64) // field 14 of the whole line
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const hz = 100 // USER_HZ, 100 on Linux
	cpu := time.Duration(utime+stime) * time.Second / hz
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			if fs := strings.Fields(v); len(fs) > 0 {
				n, _ := strconv.ParseInt(fs[0], 10, 64)
				return cpu, n, nil
			}
		}
	}
	return cpu, 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// startDelays reads, from the history database, the start delay of each
// run whose slot lies in [from, to), and counts the slots of that window
// by status.
func startDelays(b *testing.B, state string, from, to time.Time) ([]time.Duration, map[string]int) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(state, history.FileName)+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT status, started_at, slot FROM runs WHERE triggered_by = 'schedule' AND slot >= ? AND slot < ?`, from.UnixMilli(), to.UnixMilli())
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var out []time.Duration
	counts := map[string]int{}
	for rows.Next() {
		var status string
		var started, slot int64
		if err := rows.Scan(&status, &started, &slot); err != nil {
			b.Fatal(err)
		}
		counts[status]++
		if status == "skipped" || status == "missed" {
			continue
		}
		out = append(out, time.Duration(started-slot)*time.Millisecond)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	slices.Sort(out)
	return out, counts
}

// launchDelays reads the delay_ms of the scheduler's "run started" lines
// logged in [from, to).
func launchDelays(b *testing.B, path string, from, to time.Time) []time.Duration {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var out []time.Duration
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !strings.Contains(string(line), `"message":"run started"`) {
			continue
		}
		var m struct {
			Time    time.Time `json:"time"`
			DelayMS float64   `json:"delay_ms"`
		}
		if json.Unmarshal(line, &m) != nil || m.Time.Before(from) || !m.Time.Before(to) {
			continue
		}
		out = append(out, time.Duration(m.DelayMS*float64(time.Millisecond)))
	}
	slices.Sort(out)
	return out
}

func pctMS(sorted []time.Duration, p int) float64 {
	i := max((len(sorted)*p+99)/100, 1) - 1
	return float64(sorted[i]) / float64(time.Millisecond)
}

// daemonSample is the scheduler process's usage at one moment.
type daemonSample struct {
	at  time.Time
	cpu time.Duration
	rss int64 // KB
}

func meanKB(s []daemonSample) float64 {
	var sum int64
	for _, x := range s {
		sum += x.rss
	}
	return float64(sum) / float64(len(s))
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
