package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/internal/shellword"
	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// defaultStateDir is where history lives without --state-dir:
// $ARSENAL_STATE_DIR, else $XDG_STATE_HOME/arsenal-run, else
// ~/.local/state/arsenal-run.
// readStateDirUsage is the --state-dir of the commands that read state;
// it names what defaultStateDir picks.
const readStateDirUsage = "the state `DIR` (default $ARSENAL_STATE_DIR, else $XDG_STATE_HOME/arsenal-run, else ~/.local/state/arsenal-run, else ./arsenal-run-state without a home directory)"

func (e *env) defaultStateDir() string {
	if d := e.getenv("ARSENAL_STATE_DIR"); d != "" {
		return d
	}
	if d := e.getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "arsenal-run")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "state", "arsenal-run")
	}
	return "arsenal-run-state"
}

func historyCommand() *command {
	return &command{
		name:    "history",
		summary: "list recorded runs",
		synopsis: `history [--playbook NAME] [--status S[,S...]] [--trigger T[,T...]] [--since 24h] [--until 1h] [--limit N] [--json] [--state-dir DIR | --state URL]
history show RUN_ID [--json] [--state-dir DIR | --state URL]`,
		help: `List the runs recorded under the state dir, newest first. Runs of a process
that died are shown as interrupted. Slots the scheduler skipped or missed are
listed too, with status skipped or missed. A dry run's note starts with "dry
run", from its start on. 'history show RUN_ID' prints one run with its steps,
as recorded while it ran: a run whose process died still shows the steps that
finished. --since and --until take how long ago (24h, 2d) or an RFC 3339
time: --since 2026-12-05T02:00:00Z --until 2026-12-05T03:00:00Z lists the
runs started from 02:00 UTC to before 03:00.`,
		exits: "0 listed; 1 the store failed to read the history (a database error, a damaged history.db); 2 bad usage, no history, or a state dir this user may not read.",
		run:   runHistory,
	}
}

func runHistory(e *env, args []string) int {
	if len(args) > 0 && args[0] == "show" {
		return historyShow(e, args[1:])
	}
	c := historyCommand()
	fs := newFlags(e, c)
	playbook := fs.String("playbook", "", "only runs of the playbook `NAME` (its name:; a playbook file given here stands for the name: it declares)")
	var status, trigger listFlag
	fs.Var(&status, "status", "only runs with status `S` ("+strings.Join(history.Statuses(), ", ")+"); several as failed,cancelled")
	since, until := durationFlag{name: "since"}, durationFlag{name: "until"}
	fs.Var(&since, "since", "only runs started within `D`, like 24h, 2d or 1w, or from an RFC 3339 time")
	fs.Var(&until, "until", "only runs started before `D` ago, like 1h, or before an RFC 3339 time")
	fs.Var(&trigger, "trigger", "only runs started by `T`: cli, schedule or api; several as cli,api")
	limit := fs.Int("limit", history.DefaultLimit, "at most `N` runs")
	asJSON := fs.Bool("json", false, "print JSON")
	var sf stateFlags
	sf.addForReading(fs, readStateDirUsage)
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		if pos[0] == "show" {
			// Flags before the subcommand: history parsed them as its own.
			return fs.usageError("'show' comes first, its flags after it: write 'history show RUN_ID --state-dir DIR', not 'history --state-dir DIR show RUN_ID'")
		}
		if sub, ok := suggest.Closest(pos[0], []string{"show"}); ok {
			return fs.usageError("history takes no arguments, only flags; unknown subcommand %q%s: write it as 'history %s RUN_ID'", pos[0], suggest.Hint(sub), sub)
		}
		return fs.usageError("history takes no arguments, only flags (or 'history show RUN_ID')%s", historyArgHint(pos))
	}
	spec, ok := sf.spec(fs, true)
	if !ok {
		return ExitUsage
	}
	if *limit < 1 {
		return fs.usageError("--limit must be at least 1, not %d", *limit)
	}
	from, to, err := window(&since, &until, time.Now())
	if err != nil {
		return fs.usageError("%v", err)
	}
	statuses, triggers := lowerOnce(status), lowerOnce(trigger)
	for _, s := range statuses {
		if contains(history.Statuses(), s) {
			continue
		}
		hint := history.StatusHint(s, history.Statuses())
		if s == string(report.StatusDenied) {
			// A step's status, which a tired reader takes for a run's.
			hint = ": a run a step of which was denied failed, with class authorization; give --status failed, its note says authorization"
		}
		return fs.usageError("--status %q is not a run status%s; use one of %s, or several as --status failed,cancelled", s, hint, strings.Join(history.Statuses(), ", "))
	}
	for _, t := range triggers {
		if !slices.Contains(history.Triggers, history.Trigger(t)) {
			return fs.usageError("unknown trigger %q%s; use cli, schedule or api, or several as --trigger cli,api", t, history.TriggerHint(t))
		}
	}
	store, code := openStore(e, c, spec)
	if store == nil {
		return code
	}
	defer store.Close()
	if name, ok := playbookNameOf(*playbook); ok {
		// A file given for the name: its playbook's runs are meant.
		e.cmdErrorf("history", "--playbook %s is a playbook file: listing the runs of %q, the name: it declares (--playbook takes that name)", *playbook, name)
		*playbook = name
	}
	rf := runsFilter{f: history.Filter{Playbook: *playbook, Limit: *limit, Since: from, Before: to}, statuses: statuses, triggers: triggers}
	runs, err := rf.list(context.Background(), store)
	if err != nil {
		storeReadFailed(e, "history", spec, err)
		return ExitFailed
	}
	if len(runs) == 0 && !*asJSON && rf.filtered() {
		// "no runs recorded" would read as an empty history.
		fmt.Fprintf(e.stdout, "no runs match%s\n", noMatchHint(store, rf, since.text, until.text))
		return ExitOK
	}
	if *asJSON {
		err = history.WriteRuns(e.stdout, runs, true)
	} else {
		// On a terminal, cut to its width rather than wrapped into
		// the next row; piped, whole.
		err = history.WriteRunsFit(e.stdout, runs, termWidth(e.stdout))
	}
	if err != nil {
		return ExitFailed
	}
	if len(runs) == *limit && !*asJSON {
		fmt.Fprintf(e.stderr, "the latest %s shown; give --limit N for more\n", plural(*limit, "run", "runs"))
	}
	return ExitOK
}

// noMatchHint says, for a filter no run matches, what it asked for (since
// and until are --since and --until as given) and, when it names a
// playbook the latest runs do not, the names they do.
func noMatchHint(st store.Store, rf runsFilter, since, until string) string {
	f := rf.f
	var asked []string
	if f.Playbook != "" {
		asked = append(asked, "--playbook "+f.Playbook)
	}
	if len(rf.statuses) > 0 {
		asked = append(asked, "--status "+strings.Join(rf.statuses, ","))
	}
	if len(rf.triggers) > 0 {
		asked = append(asked, "--trigger "+strings.Join(rf.triggers, ","))
	}
	if !f.Since.IsZero() {
		asked = append(asked, "--since "+since)
	}
	if !f.Before.IsZero() {
		asked = append(asked, "--until "+until)
	}
	hint := " " + strings.Join(asked, " ")
	if f.Playbook == "" {
		return hint
	}
	if looksLikePath(f.Playbook) {
		// No playbook's name has a / or a dot: no run can match.
		return hint + "; --playbook takes the name: a playbook declares, not its file"
	}
	recent, err := st.List(context.Background(), history.Filter{Limit: 1000})
	if err != nil {
		return hint
	}
	names := make([]string, len(recent))
	for i, r := range recent {
		names[i] = r.Playbook
	}
	return hint + otherPlaybooks(f.Playbook, names)
}

// otherPlaybooks says, after "no runs match --playbook NAME", which
// playbooks the latest runs are of, and which of them NAME may be a typo
// of; latest is the playbooks of the latest runs. It says nothing when
// there are none, or when NAME has runs, only not those the other filters
// asked for.
func otherPlaybooks(name string, latest []string) string {
	var names []string
	for _, p := range latest {
		if p == name {
			return ""
		}
		if !slices.Contains(names, p) {
			names = append(names, p)
		}
	}
	if len(names) == 0 {
		return ""
	}
	slices.Sort(names)
	return suggest.DidYouMean(name, names) + "; the latest runs are of " + strings.Join(names[:min(len(names), 10)], ", ")
}

// looksLikePath says whether a --playbook value is a file's path rather
// than a playbook's name, which has no / and no dot.
func looksLikePath(v string) bool {
	return strings.ContainsRune(v, '/') || strings.HasSuffix(v, ".yaml") || strings.HasSuffix(v, ".yml")
}

// playbookNameOf is the name: the playbook file at path declares, when
// path looks like a file's path and holds one.
// historyArgHint is what a lone argument to history was most likely
// meant as, written as the flag or subcommand that takes it: a run id
// (history show), a state dir (--state-dir), a playbook file
// (--playbook). "" for anything else.
func historyArgHint(pos []string) string {
	if len(pos) != 1 {
		return ""
	}
	arg := pos[0]
	word := shellword.Word(arg)
	switch {
	case runIDShape.MatchString(store.RunIDCase(arg)):
		return "; to see that run, write 'history show " + word + "'"
	case isStateDir(arg):
		return "; to list the runs recorded in that state dir, give it as --state-dir " + word
	}
	if name, ok := playbookNameOf(arg); ok {
		return "; to list the runs of that playbook, give --playbook " + shellword.Word(name)
	}
	return ""
}

func playbookNameOf(path string) (string, bool) {
	if !looksLikePath(path) {
		return "", false
	}
	// Never blocks on a FIFO, and reads none of the state dir's files.
	f, err := fsroot.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return "", false
	}
	data, err := io.ReadAll(io.LimitReader(f, steps.MaxFileSize))
	if err != nil {
		return "", false
	}
	var pb struct {
		Name string `yaml:"name"`
	}
	if yaml.Unmarshal(data, &pb) != nil || pb.Name == "" || looksLikePath(pb.Name) {
		return "", false
	}
	return pb.Name, true
}

func statsCommand() *command {
	return &command{
		name:     "stats",
		summary:  "per-operation counts, error rates and latency percentiles",
		synopsis: "stats [--since 1h] [--until D] [--json] [--state-dir DIR | --state URL]",
		help: `Summarise recorded runs: for each operation and each playbook, how often it
ran, how often it failed, and its p50, p95 and p99 duration. --since and
--until take how long ago (1h, 2d) or an RFC 3339 time; with --until alone
the window is the hour before it. The first line names the window, in UTC.`,
		exits: "0 printed; 1 the store failed to read the history (a database error, a damaged history.db); 2 bad usage, no history, or a state dir this user may not read.",
		run:   runStats,
	}
}

func runStats(e *env, args []string) int {
	c := statsCommand()
	fs := newFlags(e, c)
	since, until := durationFlag{name: "since"}, durationFlag{name: "until"}
	fs.Var(&since, "since", "cover runs started within `D` (default 1h), like 2d or 1w, or from an RFC 3339 time")
	fs.Var(&until, "until", "cover runs started before `D` ago, like 1h, or before an RFC 3339 time")
	asJSON := fs.Bool("json", false, "print JSON")
	var sf stateFlags
	sf.addForReading(fs, readStateDirUsage)
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return fs.usageError("stats takes no arguments, only flags")
	}
	spec, ok := sf.spec(fs, true)
	if !ok {
		return ExitUsage
	}
	now := time.Now()
	from, to, err := window(&since, &until, now)
	if err != nil {
		return fs.usageError("%v", err)
	}
	if from.IsZero() {
		// The hour before the window's end, or before now.
		from = now.Add(-time.Hour)
		if !to.IsZero() {
			from = to.Add(-time.Hour)
		}
	}
	store, code := openStore(e, c, spec)
	if store == nil {
		return code
	}
	defer store.Close()
	opStats, pbStats, err := store.Stats(context.Background(), from, to)
	if err != nil {
		storeReadFailed(e, "stats", spec, err)
		return ExitFailed
	}
	win := history.StatsWindow{Since: from, Until: to}
	if *asJSON {
		err = history.WriteStats(e.stdout, win, opStats, pbStats, true)
	} else {
		err = history.WriteStatsFit(e.stdout, win, opStats, pbStats, termWidth(e.stdout))
	}
	if err != nil {
		return ExitFailed
	}
	return ExitOK
}

// storeReadFailed says that cmd could not read the recorded runs of the
// store spec names: the store's error, without the "history: " its
// messages begin with (the command's name says where), and what to look
// at: the file and its release, or a PostgreSQL server and the rights of
// its user.
func storeReadFailed(e *env, cmd string, spec store.Spec, err error) {
	msg := strings.TrimPrefix(err.Error(), "history: ")
	if spec.Postgres() {
		e.cmdErrorf(cmd, "reading the recorded runs failed: %s; check that the PostgreSQL server of %s answers, and that its user may read the tables", msg, spec)
		return
	}
	e.cmdErrorf(cmd, "reading the recorded runs failed: %s; the history database may be damaged, or written by a newer release: check the disk and the release, or restore the database from a backup", msg)
}
