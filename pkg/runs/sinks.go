package runs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// A sink is one place a run writes its report to: the JSON report, JUnit,
// Markdown, HTML, the state dir's copy and the job summary.
//
// Every sink is checked before the run starts (checkSinks), so that a run
// never replaces something that is not its to replace: /dev/null as root,
// the playbook it runs, its own inputs or policy. A sink that fails anyway
// at the end (a full disk) fails the run (writeSinks).
type sink struct {
	name   string // how the user named it, for messages: "--junit", "$GITHUB_STEP_SUMMARY"
	path   string
	format string // json, junit, markdown or html; "" for the appended job summary
	state  bool   // the state dir's copy of the JSON report
}

// appends reports whether the sink adds to its file instead of replacing it.
func (s sink) appends() bool { return s.format == "" }

// readFile is a file the run reads or keeps open, which no sink may replace.
type readFile struct{ what, path string }

// sinksFor lists where a run writes its report: the request's files, the
// store's copy (at statePath, in the folder stateName names) and the job
// summary.
func sinksFor(req *Request, statePath, stateName string, env Env) []sink {
	var out []sink
	add := func(name, path, format string) {
		if path != "" {
			out = append(out, sink{name: name, path: path, format: format})
		}
	}
	add("--report", req.Sinks.Report, "json")
	if statePath != "" {
		out = append(out, sink{name: stateName, path: statePath, format: "json", state: true})
	}
	add("--junit", req.Sinks.JUnit, "junit")
	add("--markdown", req.Sinks.Markdown, "markdown")
	add("--html", req.Sinks.HTML, "html")
	if req.Sinks.StepSummary {
		if v, ok := env.LookupEnv("GITHUB_STEP_SUMMARY"); ok {
			add("$GITHUB_STEP_SUMMARY", v, "")
		}
	}
	return out
}

// readFiles lists the files the run reads (the playbook, its sub-playbooks
// named by a literal path, the inputs file, the resumed report, and what
// the front end names in Request.Reads, such as the policy) and those the
// service keeps open (the history database).
func (s *Service) readFiles(req *Request, pb string, decisions []auth.StepDecision) []readFile {
	out := []readFile{{"the playbook", pb}}
	seen := map[string]bool{pb: true}
	for _, d := range decisions {
		if !seen[d.Playbook] {
			seen[d.Playbook] = true
			out = append(out, readFile{"a sub-playbook of the run", d.Playbook})
		}
	}
	for _, f := range []readFile{
		{"the --inputs file", req.InputsFile},
		{"the report given to --resume", req.ResumeFrom},
	} {
		if f.path != "" {
			out = append(out, f)
		}
	}
	for _, what := range sortedKeys(req.Reads) {
		if path := req.Reads[what]; path != "" {
			out = append(out, readFile{what, path})
		}
	}
	if s.cfg.StateDir != "" {
		db := filepath.Join(s.cfg.StateDir, history.FileName)
		out = append(out, readFile{"the history database", db}, readFile{"the history database", db + "-wal"}, readFile{"the history database", db + "-shm"})
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkSinks makes sure that every sink can be written before anything
// runs. A sink's path must not exist as anything but a regular file (a
// report replaces its file by rename: /dev/null would become a regular
// file, a symlink would be replaced by one); must not be a file the run
// reads, nor another sink's; and its directory must exist or be creatable,
// and be writable. Missing directories are created first. It returns every
// problem found.
func checkSinks(sinks []sink, reads []readFile) error {
	var problems []string
	bad := func(s sink, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s %s: %s", s.name, s.path, fmt.Sprintf(format, args...)))
	}
	readStats := make([]os.FileInfo, len(reads))
	for i, f := range reads {
		readStats[i], _ = os.Stat(f.path)
	}
	keys := map[string]sink{}
sinks:
	for _, s := range sinks {
		if namesDir(s.path) {
			// Refused before its directory is created: "rdir/" would
			// otherwise be made, then refused as a directory.
			bad(s, "names a directory, not a file; give the path of a file in it, like %s", filepath.Join(s.path, "report."+s.ext()))
			continue
		}
		if abs, err := filepath.Abs(s.path); err == nil && !isRead(s.path, readStats) {
			// The state dir's keys, the policy, the keys file: a report
			// there would replace what signs reports and sessions. (A file
			// the run reads is named as such below.)
			if err := fsroot.Guard(abs); err != nil {
				bad(s, "%v; give a path outside it", err)
				continue
			}
		}
		dir := filepath.Dir(s.path)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			bad(s, "cannot create its directory: %v", unwrapPath(err))
			continue
		}
		fi, err := os.Lstat(s.path)
		if s.appends() && err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			fi, err = os.Stat(s.path) // appending goes through a link; it does not replace it
		}
		switch {
		case err == nil && !fi.Mode().IsRegular():
			if s.appends() {
				bad(s, "is %s, not a regular file; point it at a file to append the job summary to, or unset it", fsx.Kind(fi.Mode()))
			} else {
				bad(s, "exists and is %s, not a regular file; a report replaces the file at its path, so give the path of a regular file or of a new one", fsx.Kind(fi.Mode()))
			}
			continue
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			bad(s, "%v", unwrapPath(err))
			continue
		}
		if err == nil {
			for i, f := range reads {
				if readStats[i] != nil && os.SameFile(fi, readStats[i]) {
					bad(s, "is %s (%s); the run would replace it: give another path", f.what, f.path)
					continue sinks
				}
			}
		}
		if err := probeWritable(dir); err != nil {
			bad(s, "cannot write in %s: %v", dir, unwrapPath(err))
			continue
		}
		key := PathKey(s.path)
		if other, dup := keys[key]; dup {
			bad(s, "is also where %s goes; give each its own file", other.name)
			continue
		}
		keys[key] = s
	}
	if len(problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(problems, "\n"))
}

// isRead reports whether path is one of the files whose stats are
// readStats.
func isRead(path string, readStats []os.FileInfo) bool {
	fi, err := os.Stat(path)
	if err != nil {
		return false
	}
	for _, r := range readStats {
		if r != nil && os.SameFile(fi, r) {
			return true
		}
	}
	return false
}

// namesDir reports whether path can only name a directory: it ends in a
// separator, or in "." or "..".
func namesDir(path string) bool {
	if path == "" {
		return false
	}
	if os.IsPathSeparator(path[len(path)-1]) {
		return true
	}
	base := filepath.Base(path)
	return base == "." || base == ".."
}

// ext is the usual extension of the sink's file, for messages.
func (s sink) ext() string {
	switch s.format {
	case "junit":
		return "xml"
	case "markdown", "":
		return "md"
	}
	return s.format
}

// probeWritable creates and removes a file in dir: the only check that
// answers for read-only mounts, ACLs and root alike.
func probeWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".arsenal-run-check-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// PathKey identifies a file by path, for telling whether two paths name
// the same file before it exists: its directory with symlinks resolved
// (when it exists), made absolute, and its name.
func PathKey(path string) string {
	dir, base := filepath.Split(filepath.Clean(path))
	if dir == "" {
		dir = "."
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return filepath.Join(dir, base)
}

// unwrapPath drops the path from an *fs.PathError, which the message
// already names.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// writeSinks writes rep to every sink, records the run's end in the
// history and returns the problems. The history points at the state dir's
// report only when that was written, and at the playbook by p's absolute
// path: rep keeps the path as it was given. encoded, when not nil, is rep
// as sign encoded it: the state dir's copy is written from it.
func (s *Service) writeSinks(rep *report.Report, p *prepared, encoded []byte) []error {
	sinks := p.sinks
	var errs []error
	statePath := ""
	for _, sk := range sinks {
		var err error
		switch {
		case sk.appends():
			err = report.AppendStepSummary(sk.path, rep)
		case sk.state && encoded != nil:
			err = report.WriteUnsyncedEncoded(sk.path, encoded)
		case sk.state:
			err = report.WriteUnsynced(sk.path, rep)
		case sk.format == "json":
			err = report.Write(sk.path, rep)
		default:
			err = report.WriteFormat(sk.path, rep, sk.format)
		}
		if err != nil {
			if sk.state {
				err = stateSinkErr(err, s.store, sk, rep.RunID)
			}
			errs = append(errs, fmt.Errorf("%s: %w", sk.name, err))
			continue
		}
		if sk.state {
			statePath = sk.path
		}
	}
	if s.store != nil {
		if err := s.recordFinish(rep, statePath, p.plan.Playbook().AbsPath()); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// reportsNamer is a store whose report folder is not a state dir's: the
// PostgreSQL store's --report-dir.
type reportsNamer interface{ ReportsName() string }

// reportsName names the store's report folder in messages: the state
// dir, or the report dir.
func reportsName(st any) string {
	if n, ok := st.(reportsNamer); ok {
		return n.ReportsName()
	}
	return "the state dir"
}

// stateSinkErr is the error of the store's copy of the report, which
// could not be written: the folder was moved, or what to do about it.
func stateSinkErr(err error, st any, sk sink, runID string) error {
	if moved := checkStateDir(st); moved != nil {
		return fmt.Errorf("%w; the report of run %s is lost", moved, runID)
	}
	return fmt.Errorf("%w; the run is recorded without its report: make room in %s, or make it writable again, for the runs to come", err, filepath.Dir(sk.path))
}

// checkStateDir returns the error of a store whose state dir was moved or
// removed since it was opened (history.Store.CheckDir), or nil.
func checkStateDir(st any) error {
	if c, ok := st.(interface{ CheckDir() error }); ok {
		return c.CheckDir()
	}
	return nil
}
