package steps

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/internal/shellword"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
)

// SubPlaybookOp is the operation that runs another playbook. When its path
// is literal, validation loads that playbook and checks the inputs passed
// to it.
const SubPlaybookOp = "playbook.run"

// MaxSubDepth is how many playbooks a chain of playbook.run may hold, the
// one the run starts from included: the engine's limit of the same name,
// which this package cannot import (the engine imports it).
const MaxSubDepth = 8

// maxSubLoads bounds how deep validation follows playbook.run. It reads
// one level past the last playbook that may still call another, so that
// the calls of every playbook within MaxSubDepth are known (see
// WithSubChainCheck).
const maxSubLoads = MaxSubDepth

// subLoads is shared by the loads of one playbook and of the sub-playbooks
// it reaches, so that each file is read once and recursion ends.
type subLoads struct {
	// chain are the playbooks being loaded, outermost first, by their
	// real paths: two names of one file (a symlink) are one playbook.
	chain []string
	done  map[string]subResult // by absolute path, as named
	inv   *inventory.Inventory // WithInventory's, for every playbook of the load
	// checks are WithCheck's, for the playbook loaded (not its
	// sub-playbooks).
	checks []func(*Playbook) Diagnostics
	// chains is set by WithSubChainCheck; calls are then the playbook.run
	// steps with a literal path of each playbook read, by its absolute
	// path as named (relative paths in it are resolved from there).
	chains bool
	calls  map[string][]subCall
	// envRoots are WithEnvFileRoots': nil, env files are read inside
	// the playbook's directory tree only.
	envRoots []string
	// swaps is WithSwapCheck's.
	swaps bool
}

type subResult struct {
	pb      *Playbook
	problem string // why it does not load; "" when it does
	missing bool   // the file does not exist
	depth   int    // the length of the chain it was read in, its own included
	// refused is set when the file is one arsenal-run never reads for a
	// playbook (its state dir, keys or policy): it was not read.
	refused error
}

// subCall is a playbook.run step with a literal path.
type subCall struct {
	file string // the calling playbook, as named in messages
	pos  Pos    // of the step's path
	name string // the playbook it runs, as named in messages
	abs  string // its absolute path; "" when validation does not read it
	real string // its real path (symlinks resolved); "" as abs
}

func newSubLoads() *subLoads { return &subLoads{done: map[string]subResult{}} }

// WithSubChainCheck makes a chain of playbook.run steps with literal paths
// that the run is certain to refuse a problem of the playbook loaded: one
// that leads back to a playbook of the chain (a cycle), and one that holds
// more than MaxSubDepth playbooks. It is validate's: the run refuses both
// when the step starts, so a step that never starts (its when is false, a
// handler that does not run) does not fail the run, and playbooks that
// hold one still load for it.
func WithSubChainCheck() LoadOption {
	return func(s *subLoads) {
		s.chains = true
		s.calls = map[string][]subCall{}
	}
}

// realPath is path with its symlinks resolved, or path itself when that
// fails (a file that does not exist, or a playbook parsed from memory).
func realPath(path string) string {
	if r, err := filepath.EvalSymlinks(path); err == nil {
		return r
	}
	return path
}

// checkSubPlaybook checks a playbook.run step whose path is literal and
// inside the calling playbook's directory tree: the sub-playbook must
// validate, and the inputs passed must be ones it declares, of its types,
// with every required one given. Paths outside the tree are not read here:
// whether the caller may read them depends on the roles of the run, which
// the run checks. A sub-playbook that is already being loaded (recursion)
// or nested too deep is not read again; the run refuses both, and with
// WithSubChainCheck the load reports them (checkSubChains). When
// the sub-playbook loads, s remembers the outputs it declares, against
// which steps.<id>.output.outputs.<name> is checked.
func (l *loader) checkSubPlaybook(s *Step, pairs []yamlx.Pair) {
	var pathN, inN *yaml.Node
	for _, p := range pairs {
		switch p.Key {
		case "path":
			pathN = yamlx.Deref(p.V)
		case "inputs":
			inN = p.V
		}
	}
	if pathN == nil || pathN.Kind != yaml.ScalarNode || pathN.ShortTag() != "!!str" || strings.Contains(pathN.Value, "${{") {
		return
	}
	sub := l.loadSub(pathN)
	if sub == nil {
		return
	}
	if sub.Concurrency != nil {
		l.subGroups = append(l.subGroups, subGroup{yamlx.PosOf(pathN), pathN.Value, sub})
	}
	l.checkSubInputs(sub, pathN, inN)
	names := make([]string, len(sub.Outputs))
	for i, o := range sub.Outputs {
		names[i] = o.Name
	}
	s.sub = &subOutputs{path: pathN.Value, names: names, pb: sub}
}

// loadSub loads the sub-playbook at the path written in n, or returns nil
// after reporting why it cannot be used, or when it is not to be read.
func (l *loader) loadSub(n *yaml.Node) *Playbook {
	path := n.Value
	rel, ok := l.localSub(path)
	if !ok {
		l.noteCall(n, subCall{name: path})
		// Not read here, but a run may read it from its file roots:
		// judged as one inside the directory is.
		l.swappableSub(n, inputFilePath(l.pb.Dir, filepath.FromSlash(path)))
		return nil
	}
	abs := filepath.Join(l.pb.Dir, rel)
	display := filepath.Join(filepath.Dir(l.pb.File), rel)
	real := realPath(abs)
	l.noteCall(n, subCall{name: display, abs: abs, real: real})
	if l.swappableSub(n, abs) {
		return nil
	}
	if slices.Contains(l.sub.chain, real) || len(l.sub.chain) > maxSubLoads {
		return nil
	}
	depth := len(l.sub.chain) + 1
	r, ok := l.sub.done[abs]
	// A playbook read deeper in another chain may not have had its own
	// sub-playbooks read; the chain check needs them, so it is read again
	// from here, at most once for each level.
	if !ok || l.sub.chains && r.depth > depth {
		r = l.readSub(rel, display)
		r.depth = depth
		l.sub.done[abs] = r
	}
	switch {
	case r.missing:
		l.d.Add(yamlx.PosOf(n), "%s: %s does not exist; the path is relative to this playbook's directory", SubPlaybookOp, path)
	case r.refused != nil:
		l.d.Add(yamlx.PosOf(n), "%s: %s cannot be read: %v; give the path of a playbook file", SubPlaybookOp, path, r.refused)
	case r.problem != "":
		l.d.Add(yamlx.PosOf(n), "%s: %s has problems: %s", SubPlaybookOp, path, r.problem)
	}
	return r.pb
}

// localSub returns path relative to the playbook's directory, and false
// when it leads outside it.
func (l *loader) localSub(path string) (string, bool) {
	rel := filepath.FromSlash(path)
	if filepath.IsAbs(rel) {
		r, err := filepath.Rel(l.pb.Dir, rel)
		if err != nil {
			return "", false
		}
		rel = r
	}
	rel = filepath.Clean(rel)
	return rel, filepath.IsLocal(rel)
}

// subGroup is a playbook.run step whose sub-playbook declares a
// concurrency group.
type subGroup struct {
	pos  yamlx.Pos
	path string
	sub  *Playbook
}

// warnSubGroups warns at each playbook.run step whose sub-playbook
// declares a concurrency group that the caller does not hold itself. A
// sub-run takes no group: waiting for one while the calling run holds a
// run slot can wait for ever (a run of the group waiting for that slot),
// and the items of a fan-out would queue behind, skip or cancel one
// another. A caller whose own group is computed is left alone: it chose.
func (l *loader) warnSubGroups() {
	own, known := literalGroup(l.pb)
	for _, sg := range l.subGroups {
		want, ok := literalGroup(sg.sub)
		if l.pb.Concurrency != nil && (!known || ok && own == want) {
			continue
		}
		fix := "give this playbook the concurrency: it needs"
		if ok {
			fix = "to keep them apart, give this playbook concurrency: {group: " + want + "}"
		}
		l.d.Warn(sg.pos, "%s declares a concurrency group, which playbook.run does not take: two runs of this playbook may run %s at the same time; %s", sg.path, sg.path, fix)
	}
}

// literalGroup returns the concurrency group of pb when it is written
// literally, or is the playbook's name.
func literalGroup(pb *Playbook) (string, bool) {
	c := pb.Concurrency
	switch {
	case c == nil:
		return "", false
	case c.Group == nil:
		return pb.Name, true
	case c.Group.Kind == KindLiteral:
		return fmt.Sprint(c.Group.Lit), true
	}
	return "", false
}

// noteCall records the playbook.run step whose path is n, for the chain
// check. A path outside the playbook's tree is recorded too, unread: any
// call past MaxSubDepth fails, wherever it leads.
func (l *loader) noteCall(n *yaml.Node, c subCall) {
	if !l.sub.chains {
		return
	}
	c.file, c.pos = l.pb.File, yamlx.PosOf(n)
	self := filepath.Join(l.pb.Dir, filepath.Base(l.pb.File))
	l.sub.calls[self] = append(l.sub.calls[self], c)
}

// checkSubChains reports, for the playbook loaded, the chains of
// playbook.run steps with literal paths that the run refuses when the
// step starts: a cycle, at the step that leads back into the chain, and a
// chain longer than MaxSubDepth, at the step that goes past it. Each
// playbook is walked once for each length of chain that reaches it, so the
// work stays bounded however the playbooks call one another.
func (l *loader) checkSubChains() {
	w := &chainWalk{l: l, seen: map[chainState]bool{}, said: map[subCallAt]bool{}}
	w.walk(filepath.Join(l.pb.Dir, filepath.Base(l.pb.File)), chainHop{name: l.pb.File, real: l.sub.chain[0]})
}

type chainWalk struct {
	l     *loader
	stack []chainHop
	seen  map[chainState]bool
	said  map[subCallAt]bool // steps already reported, for one message each
}

type chainHop struct{ name, real string }

type chainState struct {
	abs   string
	depth int
}

type subCallAt struct {
	file string
	pos  Pos
}

func (w *chainWalk) walk(abs string, hop chainHop) {
	w.stack = append(w.stack, hop)
	defer func() { w.stack = w.stack[:len(w.stack)-1] }()
	depth := len(w.stack)
	if w.seen[chainState{abs, depth}] {
		return
	}
	w.seen[chainState{abs, depth}] = true
	for _, c := range w.l.sub.calls[abs] {
		at := subCallAt{c.file, c.pos}
		// The run tests recursion first, then depth: the same order here
		// gives the message the run would.
		i := -1
		if c.real != "" {
			i = slices.IndexFunc(w.stack, func(h chainHop) bool { return h.real == c.real })
		}
		switch {
		case i >= 0:
			if !w.said[at] {
				w.said[at] = true
				same := ""
				if h := w.stack[i]; h.name != c.name {
					same = fmt.Sprintf(" (%s and %s are one file)", c.name, h.name)
				}
				fix := "remove this step, or move what the playbooks of the cycle share into one that calls none of them"
				if i == len(w.stack)-1 {
					fix = "remove this step; to run steps again, give them repeat: or retry:, or foreach: over what changes"
				}
				w.report(c, "%s: a %s cycle%s; it would fail at run time when this step starts, since a playbook may not run itself, directly or not; %s", w.chain(c), SubPlaybookOp, same, fix)
			}
		case depth >= MaxSubDepth:
			if !w.said[at] {
				w.said[at] = true
				w.report(c, "%s: this %s would nest %d playbooks, past the %d a run allows; the run would fail here, after running the steps before it, with \"nested more than %d deep\"; call %s from a playbook higher in the chain, or merge two playbooks of the chain", w.chain(c), SubPlaybookOp, depth+1, MaxSubDepth, MaxSubDepth, c.name)
			}
		case c.abs != "":
			w.walk(c.abs, chainHop{name: c.name, real: c.real})
		}
	}
}

// chain names the playbooks from the one loaded to the one c runs.
func (w *chainWalk) chain(c subCall) string {
	names := make([]string, 0, len(w.stack)+1)
	for _, h := range w.stack {
		names = append(names, h.name)
	}
	return strings.Join(append(names, c.name), " → ")
}

// report adds a problem at c's path, which may lie in a sub-playbook: the
// chain, not any one file of it, is wrong, and only the load of its first
// playbook sees it whole.
func (w *chainWalk) report(c subCall, format string, args ...any) {
	w.l.d.List = append(w.l.d.List, &Diagnostic{File: c.file, Pos: c.pos, Severity: SeverityError, Msg: fmt.Sprintf(format, args...)})
}

// readSub reads and validates rel under the playbook's directory, through
// os.Root so that a symlink cannot lead outside it. display names the file
// in messages. What the run would refuse to load, the state dir, keys,
// policy and the other files no file operation touches, is not read
// either, as named or where it really is: a parse error would quote it,
// and the playbook may be one a caller wrote beside them.
func (l *loader) readSub(rel, display string) subResult {
	if err := fsroot.GuardRead(filepath.Join(l.pb.Dir, rel)); err != nil {
		return subResult{refused: err}
	}
	root, err := os.OpenRoot(l.pb.Dir)
	if err != nil {
		return subResult{}
	}
	defer root.Close()
	// Never blocks on a FIFO; anything but a regular file is left to the
	// run, which says what is wrong with it.
	f, err := fsx.OpenIn(root, rel)
	if err != nil {
		return subResult{missing: errors.Is(err, fs.ErrNotExist)}
	}
	defer f.Close()
	if err := fsroot.GuardOpenedRead(f); err != nil {
		return subResult{refused: err}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return subResult{}
	}
	pb, err := parse(display, data, l.reg, l.sub)
	if err == nil {
		return subResult{pb: pb}
	}
	var ds Diagnostics
	if !errors.As(err, &ds) {
		return subResult{problem: err.Error()}
	}
	var first *Diagnostic
	for _, d := range ds {
		if d.Severity == SeverityError {
			first = d
			break
		}
	}
	problem := first.Error()
	if n := ds.Errors(); n > 1 {
		problem += fmt.Sprintf(" (and %d more)", n-1)
	}
	return subResult{problem: problem + fmt.Sprintf("; run `arsenal-run validate %s`", shellword.Word(display))}
}
