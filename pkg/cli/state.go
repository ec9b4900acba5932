package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/arsenal-run/arsenal-run/internal/shellword"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/scheduler"
	"github.com/arsenal-run/arsenal-run/pkg/store"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

// stateFlags are the flags that say where a command keeps its state: a
// state dir (SQLite, one host) or a PostgreSQL database shared by several
// processes and hosts.
type stateFlags struct {
	dir, url, reportDir string
	// fromEnv is set by spec when the URL came from $ARSENAL_STATE, so
	// that messages name that, not --state.
	fromEnv bool
}

// add defines --state-dir (described by dirHelp), --state and
// --report-dir.
func (s *stateFlags) add(fs *flagSet, dirHelp string) {
	fs.StringVar(&s.dir, "state-dir", "", dirHelp)
	fs.StringVar(&s.url, "state", "", "keep the state in the PostgreSQL database `URL` (postgres://user@host/db), shared by several processes; default $ARSENAL_STATE")
	fs.StringVar(&s.reportDir, "report-dir", "", "with --state, write reports as files in the shared `DIR` instead of the database")
}

// addForReading is add for the commands that only read the state: they
// take --report-dir as run does, so one set of flags serves both, and it
// changes nothing for them.
func (s *stateFlags) addForReading(fs *flagSet, dirHelp string) {
	s.add(fs, dirHelp)
	fs.Lookup("report-dir").Usage = "a `DIR` accepted as for run, which changes nothing here: each run's report is read from where it was recorded"
}

// spec resolves the flags: --state-dir, else --state, else $ARSENAL_STATE,
// else $ARSENAL_STATE_DIR, else, with useDefault, the default state dir.
// A zero Spec means no state. A bad combination is a usage error, printed.
func (s *stateFlags) spec(fs *flagSet, useDefault bool) (store.Spec, bool) {
	e := fs.e
	switch {
	case s.dir != "" && s.url != "":
		fs.usageError("give --state-dir DIR (SQLite on this host) or --state URL (PostgreSQL), not both")
		return store.Spec{}, false
	case s.url != "" && !store.IsURL(s.url):
		fs.usageError("--state %s: give a PostgreSQL URL, like postgres://arsenal@db.example/arsenal; for a directory use --state-dir", store.Mask(s.url))
		return store.Spec{}, false
	case s.reportDir != "" && s.dir != "":
		fs.usageError("--report-dir goes with --state URL; under --state-dir reports are kept in DIR/reports")
		return store.Spec{}, false
	}
	if s.dir != "" {
		return store.Spec{Dir: s.dir}, true
	}
	url := s.url
	if url == "" && s.dir == "" {
		if v := e.getenv("ARSENAL_STATE"); v != "" {
			if !store.IsURL(v) {
				fs.usageError("$ARSENAL_STATE=%s: give a PostgreSQL URL, like postgres://arsenal@db.example/arsenal; for a directory set $ARSENAL_STATE_DIR", store.Mask(v))
				return store.Spec{}, false
			}
			url, s.fromEnv = v, true
		}
	}
	if url != "" {
		spec := store.Spec{URL: url, ReportDir: s.reportDir}
		if noDatabase(url) {
			fs.usageError("%s names no database: give its host and name, like postgres://arsenal@db.example/arsenal", s.name(spec))
			return store.Spec{}, false
		}
		return spec, true
	}
	if s.reportDir != "" {
		fs.usageError("--report-dir goes with --state URL (or $ARSENAL_STATE)")
		return store.Spec{}, false
	}
	if d := e.getenv("ARSENAL_STATE_DIR"); d != "" {
		return store.Spec{Dir: d}, true
	}
	if useDefault {
		return store.Spec{Dir: e.defaultStateDir()}, true
	}
	return store.Spec{}, true
}

// openStore opens the store of a command that reads state: a state dir
// must already hold a history; a database is migrated when needed. The
// runs of dead processes are marked interrupted. Refused, it returns the
// exit code: ExitFailed for a history.db SQLite found damaged (the store
// failed), else ExitUsage (a state dir given wrong, or not this user's).
func openStore(e *env, c *command, spec store.Spec) (store.Store, int) {
	if !spec.Postgres() {
		if fi, err := os.Stat(spec.Dir); err == nil && !fi.IsDir() {
			fmt.Fprintf(e.stderr, "%s %s: %s is not a directory; give the state dir that 'run --state-dir DIR' recorded runs in\n", program, c.name, spec.Dir)
			return nil, ExitUsage
		}
		// A database this user may not reach is not "no history":
		// store.Open says so, with what to do.
		if _, err := os.Stat(filepath.Join(spec.Dir, history.FileName)); err != nil && !errors.Is(err, fs.ErrPermission) {
			// The runs may have come from any front end, each with its
			// own way of choosing the dir: name them all.
			fmt.Fprintf(e.stderr, "%s %s: no history in %s; give --state-dir the dir the runs were recorded in: 'run' records them only with --state-dir DIR (or $ARSENAL_STATE_DIR), 'serve' in its --state-dir, 'schedule' in its --state-dir (default %s); for a shared PostgreSQL store give --state URL\n", program, c.name, spec.Dir, e.defaultStateDir())
			return nil, ExitUsage
		}
	}
	ctx := postgres.WithNotice(context.Background(), func(msg string) { e.errorf("%s %s: %s", c.name, spec, msg) })
	st, err := store.Open(ctx, spec)
	if err != nil {
		e.errorf("%v", err)
		if errors.Is(err, history.ErrDamaged) {
			return nil, ExitFailed
		}
		return nil, ExitUsage
	}
	st.MarkInterrupted(context.Background())
	return st, ExitOK
}

// openShared opens the PostgreSQL store a spec names, for a run service
// to take over; nil for a state dir, which the service opens itself. It
// says through warn that it waits for the server or for another process's
// migration, and stops waiting when ctx ends (Ctrl-C, SIGTERM).
func openShared(ctx context.Context, spec store.Spec, warn func(format string, args ...any)) (store.Store, error) {
	if !spec.Postgres() {
		return nil, nil
	}
	return store.Open(postgres.WithNotice(ctx, func(msg string) { warn("%s: %s", spec, msg) }), spec)
}

// startSignals returns a context that the first SIGINT or SIGTERM ends,
// its cause a *signalCause, for the start-up of serve and schedule: a
// wait for a database that does not answer, for its migration or for a
// state dir's lock ends at once, and startCode gives the signal's exit
// code. stop ends the watch; a signal after it is the daemon's own.
func startSignals() (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			cancel(&signalCause{sig: s, code: signalCode(s)})
		case <-done:
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
		})
	}
}

// startCode is the exit code of a start-up that ctx, of startSignals,
// ended: 130 for SIGINT, 143 for SIGTERM.
func startCode(ctx context.Context) int {
	var c *signalCause
	if errors.As(context.Cause(ctx), &c) {
		return c.code
	}
	return ExitInterrupted
}

// stateName names where the state is, as the user gave it, for messages:
// --state-dir DIR or --state URL with its password masked.
func stateName(spec store.Spec) string {
	if spec.Postgres() {
		return "--state " + spec.String()
	}
	return "--state-dir " + spec.Dir
}

// stateArg is where the state of spec is as a command's words, for a
// command a message gives to copy: --state-dir DIR quoted for the shell,
// or --state URL, its password masked.
func stateArg(spec store.Spec) string {
	if spec.Postgres() {
		return "--state " + spec.String()
	}
	return "--state-dir " + shellword.Word(spec.Dir)
}

// noDatabase reports whether a PostgreSQL URL is its scheme alone
// (postgres://), which would connect to a local socket as the user's
// name: never what was meant.
func noDatabase(url string) bool {
	_, rest, _ := strings.Cut(url, "://")
	return strings.TrimSpace(rest) == ""
}

// name names where the state of spec is, as the user gave it, for
// messages: stateName, or $ARSENAL_STATE=URL (password masked) when the
// URL came from there.
func (s *stateFlags) name(spec store.Spec) string {
	if spec.Postgres() && s.fromEnv {
		return "$ARSENAL_STATE=" + spec.String()
	}
	return stateName(spec)
}

// errorText is an error of the store of spec, naming where it is once:
// the store's errors name the database (its URL, masked) themselves, at
// their start or within ("another scheduler … is running on URL"), and
// that becomes --state URL (or $ARSENAL_STATE=URL); an error that does
// not name it gets that prefix.
func (s *stateFlags) errorText(spec store.Spec, err error) string {
	msg, name := err.Error(), s.name(spec)
	if spec.Postgres() {
		if masked := spec.String(); strings.Contains(msg, masked) {
			return strings.Replace(msg, masked, name, 1)
		}
	}
	return name + ": " + msg
}

// lockScheduler makes this process the one scheduler of the state dir
// of spec: its lock file. A database's lock is taken elsewhere, with the
// caller's context and log: by lockSchedule for `schedule`, and by the
// queue's leadership for serve.
func lockScheduler(spec store.Spec) (unlock func(), err error) {
	if spec.Postgres() {
		return nil, errors.New("the scheduler lock of a database is taken by lockSchedule or the queue")
	}
	l, err := scheduler.LockStateDir(spec.Dir)
	if err != nil {
		return nil, stateDirAccess(spec.Dir, err)
	}
	return l.Unlock, nil
}

// stateDirAccess adds to err, a failure to make or open a file of the
// state dir dir, what to do when the cause is a read-only file system or
// a directory this user may not write; other errors are left as they are.
func stateDirAccess(dir string, err error) error {
	if advice := history.LinkTargetMissing(dir, err); advice != nil {
		return advice
	}
	switch {
	case errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%w; arsenal-run writes in its state dir %s, which is on a read-only file system: give one on a writable file system (--state-dir or $ARSENAL_STATE_DIR)", err, dir)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%w; arsenal-run writes in its state dir %s: give one this user can write (--state-dir or $ARSENAL_STATE_DIR), or run as the user that owns it", err, dir)
	}
	return err
}
