package cli

// A run inside GitHub Actions: its failures as workflow annotations.

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// maxAnnotation bounds an annotation's message, in bytes: GitHub shows a
// few lines of it, and the report holds the rest.
const maxAnnotation = 4000

// runRun runs `run` and, inside a GitHub Actions job, writes the
// annotations of its outcome (see ghNotes).
func runRun(e *env, args []string) int {
	gh := newGHNotes(e)
	return gh.finish(runArgs(e, args, gh))
}

// ghNotes writes a run's outcome as GitHub Actions workflow commands
// (::error and ::warning annotations) on stdout, when GITHUB_ACTIONS is
// true: every step that failed or was denied, at the step in its
// playbook (a sub-playbook's step in the sub-playbook's file), and every
// step the run went past, as warnings; a run that failed without a step
// to blame, at its playbook. Their text is the report's, secrets masked.
// A nil *ghNotes writes nothing. It never groups output (::group::): the
// lines of steps running at once interleave, and a group is one
// contiguous block.
//
// The runner reads workflow commands from every line of a step's stdout
// and stderr, and the run prints what its steps said (log lines, the
// summary's output tails): a step printing "::error::…" or
// "::stop-commands::X" would forge annotations or silence these. So the
// run's output is framed as GitHub documents for untrusted text: from
// the start, ::stop-commands:: with a random token on both streams (each
// stream's own lines come after it, whichever the runner reads first),
// and, when the run is over, the token on stdout resumes commands; the
// annotations are kept until then and written after it.
type ghNotes struct {
	out       io.Writer // stdout, where the runner reads workflow commands
	workspace string    // $GITHUB_WORKSPACE, which annotation paths are relative to
	playbook  string    // the playbook as given, once known
	wrote     bool      // an error annotation was written
	token     string    // resumes workflow commands; random, never from a step

	mu      sync.Mutex // a second signal's exit resumes from another goroutine
	notes   []string   // annotations, written once commands resume
	resumed bool       // the token was written

	// stderr keeps the tail of what was written to stderr before the
	// run started: the message of a run refused before any step.
	stderr *tailWriter
}

// newGHNotes returns the notes of a run in GitHub Actions, nil elsewhere.
// It has e.stderr kept, for a failure before any step to be told.
func newGHNotes(e *env) *ghNotes {
	if e.getenv("GITHUB_ACTIONS") != "true" {
		return nil
	}
	g := &ghNotes{out: e.stdout, workspace: e.getenv("GITHUB_WORKSPACE"), token: stopToken()}
	stop := "::stop-commands::" + g.token + "\n"
	io.WriteString(e.stdout, stop)
	io.WriteString(e.stderr, stop)
	g.stderr = &tailWriter{w: e.stderr, on: true}
	e.stderr = g.stderr
	return g
}

// stopToken is a random token for ::stop-commands::, which no step can
// guess.
func stopToken() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	return "arsenal-run-" + hex.EncodeToString(b)
}

// resume lets the runner read workflow commands again and writes the
// annotations kept so far; later ones are written at once. It is for a
// run's very end: nothing from a step may be printed after it.
func (g *ghNotes) resume() {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.resumed {
		g.resumed = true
		fmt.Fprintf(g.out, "::%s::\n", g.token)
	}
	for _, n := range g.notes {
		fmt.Fprintln(g.out, n)
	}
	g.notes = nil
}

// setPlaybook names the playbook of the run, for a failure before it
// started.
func (g *ghNotes) setPlaybook(path string) {
	if g != nil {
		g.playbook = path
	}
}

// started stops keeping stderr: from the run's start, the report tells.
func (g *ghNotes) started() {
	if g != nil {
		g.stderr.stop()
	}
}

// file is path as an annotation names it: relative to the workspace when
// inside it, else absolute, so that GitHub finds the file whatever the
// working directory of the job's step.
func (g *ghNotes) file(path string) string {
	return githubFile(g.workspace, path)
}

// githubFile is path as an annotation names it, for a job whose
// workspace ($GITHUB_WORKSPACE) is workspace: relative to it when inside
// it, else absolute.
func githubFile(workspace, path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.ToSlash(path)
	}
	if workspace != "" {
		if rel, err := filepath.Rel(workspace, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return filepath.ToSlash(rel)
		}
	}
	return filepath.ToSlash(abs)
}

// note keeps one annotation, for resume to write; pos may be zero, file "".
func (g *ghNotes) note(level, file string, pos steps.Pos, title, msg string) {
	if level == "error" {
		g.wrote = true
	}
	if file != "" {
		file = g.file(file)
	}
	line := githubAnnotation(level, file, pos, title, msg)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.resumed {
		fmt.Fprintln(g.out, line)
		return
	}
	g.notes = append(g.notes, line)
}

// diagnostics writes the problems and warnings of a playbook, a policy or
// an inputs file that the run refused, at their positions; err is any
// error, those without positions are left to finish.
func (g *ghNotes) diagnostics(err error) {
	var ds steps.Diagnostics
	if g == nil || !errors.As(err, &ds) {
		return
	}
	for _, d := range ds {
		g.note(d.Severity.String(), d.File, d.Pos, "", d.Msg)
	}
}

// report writes the annotations of a run that started: its steps', then,
// when none of them failed it, the run's own.
func (g *ghNotes) report(rep *report.Report, pb *steps.Playbook, sinkErrs []error) {
	if g == nil {
		return
	}
	pos := map[string]steps.Pos{}
	for _, s := range pb.AllSteps() {
		pos[s.ID] = s.Pos
	}
	g.steps(pb.AbsPath(), pos, "", rep.Steps, false)
	if !g.wrote && (rep.Status == report.StatusFailed || rep.Status == report.StatusCancelled) {
		msg := string(rep.Status)
		if rep.Error != nil {
			msg = rep.Error.Class + ": " + rep.Error.Message
		}
		g.note("error", pb.AbsPath(), pb.NamePos, fmt.Sprintf("run of %s %s", pb.Name, rep.Status), msg)
	}
	if len(sinkErrs) > 0 {
		var b strings.Builder
		for _, err := range sinkErrs {
			fmt.Fprintln(&b, err)
		}
		g.note("error", pb.AbsPath(), steps.Pos{}, "the run's reports were not all written", strings.TrimSpace(b.String()))
	}
}

// steps annotates the steps of one playbook, file, whose steps are at pos,
// named below prefix (a sub-playbook's "call/"). soft makes errors
// warnings: the run went past the step that ran them. It returns whether
// it wrote an error.
func (g *ghNotes) steps(file string, pos map[string]steps.Pos, prefix string, ss []report.Step, soft bool) bool {
	wrote := false
	for i := range ss {
		s := &ss[i]
		level, how := stepOutcome(s)
		subs, named := s.Subs, func(j int) string { return fmt.Sprintf("%s%s[%d]/", prefix, s.ID, j) }
		if s.Sub != nil {
			subs, named = []*report.SubRun{s.Sub}, func(int) string { return prefix + s.ID + "/" }
		}
		inner := false
		for j, sub := range subs {
			if sub != nil && g.sub(sub, file, pos[s.ID], named(j), soft || level == "warning") {
				inner = true
			}
		}
		if level == "" || (inner && level == "error") {
			wrote = wrote || inner
			continue // a sub-playbook's own steps say why it failed
		}
		if soft {
			level = "warning"
		}
		title := fmt.Sprintf("step %s%s (%s) %s", prefix, s.ID, s.Op, how)
		g.note(level, file, pos[s.ID], title, stepMessage(s))
		wrote = wrote || level == "error"
	}
	return wrote
}

// sub annotates the steps of a sub-run, in the sub-playbook's file, or,
// when that cannot be read (it went away), at the step that ran it, at
// in file. It returns whether it wrote an error.
func (g *ghNotes) sub(sub *report.SubRun, file string, at steps.Pos, name string, soft bool) bool {
	subPos, err := steps.StepPositions(sub.Playbook.Path)
	subFile := sub.Playbook.Path
	if err != nil || subFile == "" {
		subFile, subPos = file, map[string]steps.Pos{}
		for _, c := range sub.Steps {
			subPos[c.ID] = at
		}
	}
	return g.steps(subFile, subPos, name, sub.Steps, soft)
}

// stepOutcome is the level of a step's annotation and what befell it: ""
// for a step that needs none.
func stepOutcome(s *report.Step) (level, how string) {
	switch {
	case s.Status == report.StatusDenied:
		return "error", "denied"
	case s.Status != report.StatusFailed:
		return "", ""
	case s.Rescued:
		return "warning", "failed; its rescue steps recovered the run"
	case s.Ignored:
		return "warning", "failed; the run went on (continue_on_error)"
	}
	return "error", "failed"
}

// stepMessage is what a step's annotation says: its error, and those of
// its items that failed, a few of them.
func stepMessage(s *report.Step) string {
	var b strings.Builder
	if s.Error != nil {
		fmt.Fprintf(&b, "%s: %s", s.Error.Class, s.Error.Message)
	} else {
		b.WriteString(string(s.Status))
	}
	const most = 5
	n := 0
	for _, it := range s.Items {
		if it.Error == nil || (it.Status != report.StatusFailed && it.Status != report.StatusDenied) {
			continue
		}
		if n++; n <= most {
			label := it.Label
			if label == "" {
				label = fmt.Sprint(it.Index)
			}
			fmt.Fprintf(&b, "\nitem %s: %s: %s", label, it.Error.Class, it.Error.Message)
		}
	}
	if n > most {
		fmt.Fprintf(&b, "\nand %d more failed items (see the report)", n-most)
	}
	return b.String()
}

// finish writes the annotations, adding, for a run that ended with code
// before any annotation of an error, one that says why, from what it
// wrote on stderr. It returns code.
func (g *ghNotes) finish(code int) int {
	if g == nil {
		return code
	}
	if code != ExitOK && !g.wrote {
		msg := strings.TrimSpace(g.stderr.text())
		if msg == "" {
			msg = fmt.Sprintf("arsenal-run run ended with exit code %d", code)
		}
		g.note("error", g.playbook, steps.Pos{}, "arsenal-run run: nothing ran", msg)
	}
	g.resume()
	return code
}

// githubAnnotation is an annotation as a GitHub Actions workflow command,
// escaped as the runner reads it:
// ::error file=a.yaml,line=3,col=5,title=T::message.
func githubAnnotation(level, file string, pos steps.Pos, title, msg string) string {
	var props []string
	if file != "" {
		props = append(props, "file="+githubProperty(file))
		if pos.Line > 0 {
			props = append(props, fmt.Sprintf("line=%d", pos.Line))
			if pos.Col > 0 {
				props = append(props, fmt.Sprintf("col=%d", pos.Col))
			}
		}
	}
	if title != "" {
		props = append(props, "title="+githubProperty(title))
	}
	cmd := "::" + level
	if len(props) > 0 {
		cmd += " " + strings.Join(props, ",")
	}
	return cmd + "::" + githubData(cutText(msg, maxAnnotation))
}

// cutText cuts s to at most n bytes, on a character boundary, marking the
// cut.
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "… (cut; the report has the rest)"
}

// tailWriter passes writes on and, while on, keeps the last bytes of them.
type tailWriter struct {
	w  io.Writer
	mu sync.Mutex
	on bool
	b  []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	if t.on {
		t.b = append(t.b, p...)
		if over := len(t.b) - maxAnnotation; over > 0 {
			t.b = t.b[over:]
		}
	}
	t.mu.Unlock()
	return t.w.Write(p)
}

func (t *tailWriter) stop() {
	t.mu.Lock()
	t.on = false
	t.mu.Unlock()
}

func (t *tailWriter) text() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.ToValidUTF8(string(t.b), "")
}

// unwrapWriter is the writer t writes to, for the checks of a terminal.
func (t *tailWriter) unwrapWriter() io.Writer { return t.w }
