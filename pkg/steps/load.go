package steps

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/arsenal-run/arsenal-run/internal/exprsafe"
	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// Load reads, decodes and validates the playbook at path. On any error it
// returns Diagnostics holding every problem found (warnings included),
// sorted by position; a playbook with errors is never returned. A playbook
// that loads carries its warnings in Playbook.Warnings.
func Load(path string, reg *ops.Registry, opts ...LoadOption) (*Playbook, error) {
	// The file read is the one the playbook's recorded path names, with
	// ".." taken away by the path's text, as a policy grant names it and
	// as a sub-playbook is read: the kernel would follow a symlink before
	// the ".." after it (mine/link/../../../runbooks/x.yaml), and the
	// grant of runbooks/x.yaml would go with a file of the caller's.
	open := path
	if abs, err := filepath.Abs(path); err == nil {
		open = abs
	}
	// Never blocks on a FIFO; refuses what is not a regular file, and the
	// state dir's keys and the policy, which a parse error would quote.
	f, err := fsroot.Open(open)
	if errors.As(err, new(*fsroot.ProtectedError)) {
		return nil, Diagnostics{{File: path, Msg: fmt.Sprintf("cannot read the playbook: %v; give the path of a playbook .yaml file", err)}}
	}
	// A file that does not open has no line: the diagnostic names the
	// file alone (Pos zero) and says what to check.
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) && pe.Path == open {
		pe.Path = path // as the caller wrote it
	}
	if err != nil {
		return nil, Diagnostics{{File: path, Msg: unreadable(path, err)}}
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		return nil, Diagnostics{{File: path, Msg: "not a regular file; give the path of a playbook .yaml file" + nearbyPlaybooks(path)}}
	}
	if err := yamlx.Oversize(f, path, limits); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, Diagnostics{{File: path, Msg: fmt.Sprintf("cannot read the playbook: %v", err)}}
	}
	return Parse(path, data, reg, opts...)
}

// Parse decodes and validates a playbook held in memory; file names it in
// diagnostics and resolves relative paths against its directory.
func Parse(file string, data []byte, reg *ops.Registry, opts ...LoadOption) (*Playbook, error) {
	sub := newSubLoads()
	for _, o := range opts {
		o(sub)
	}
	return parse(file, data, reg, sub)
}

func parse(file string, data []byte, reg *ops.Registry, sub *subLoads) (*Playbook, error) {
	sum := sha256.Sum256(data)
	dir := filepath.Dir(file)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	abs := filepath.Join(dir, filepath.Base(file))
	sub.chain = append(sub.chain, realPath(abs))
	if sub.chains {
		// Read again from a shallower chain: its calls are noted anew.
		delete(sub.calls, abs)
	}
	defer func() { sub.chain = sub.chain[:len(sub.chain)-1] }()
	pb := &Playbook{File: file, Dir: dir, AbsFile: abs, SHA256: hex.EncodeToString(sum[:])}
	pb.derived = &derived{owner: pb}
	l := &loader{d: &yamlx.Diags{File: file}, source: newSource(data), reg: reg, pb: pb, ids: map[string]*Step{}, varIdx: map[string]int{}, sub: sub}
	root := yamlx.Parse(data, limits, l.d)
	if root == nil {
		return nil, l.d.Err()
	}
	l.decodeTop(root)
	l.warnSubGroups()
	l.addMisnamed()
	g := l.buildGraph()
	l.compileAll(g)
	if len(sub.chain) == 1 {
		if sub.chains {
			l.checkSubChains()
		}
		for _, check := range sub.checks {
			for _, d := range check(pb) {
				if d.Severity == yamlx.Warning {
					l.d.Warn(d.Pos, "%s", d.Msg)
				} else {
					l.d.Add(d.Pos, "%s", d.Msg)
				}
			}
		}
	}
	if err := l.d.Err(); err != nil {
		return nil, err
	}
	pb.Warnings = l.d.Warnings()
	return pb, nil
}

// compileAll compiles every expression collected while decoding and checks
// the step and var references against the graph.
func (l *loader) compileAll(g *graph) {
	l.comp = newExprCompiler(l.pb)
	sec := newSecretFlow()
	defer sec.check(l)
	for _, pe := range l.pending {
		l.checkPending(g, sec, pe)
	}
}

// checkPending compiles one expression and checks what it reads.
func (l *loader) checkPending(g *graph, sec *secretFlow, pe *pendingExpr) {
	defer l.within(pe.step)()
	e := pe.e
	c := l.comp.compile(e.Source, pe.scope, e.bool)
	if c.err != nil {
		msg := c.err.msg
		if msg == msgEmptyExpr {
			msg = emptyExprFix(pe.node.Value)
		}
		msg += itemHint(l.pb, pe, msg)
		msg += commentHint(pe.node)
		l.d.Add(l.posAt(pe.node, pe.off+c.err.off), "%s", msg)
		return
	}
	e.Program, e.AllSteps = c.prog, c.whole
	e.Flow = exprsafe.DataFlow(c.prog.Node())
	if pe.list {
		l.checkList(pe, c)
	}
	if pe.want != "" {
		l.checkSetting(pe, c)
	}
	if pe.param != nil {
		l.checkParamType(pe, c)
	}
	l.checkURLPlace(pe, c)
	l.checkConstantCond(pe, c)
	l.checkConstantParts(pe, c)
	for _, w := range c.warns {
		l.d.Warn(l.posAt(pe.node, pe.off+w.off), "%s", w.msg)
	}
	for _, r := range c.refs {
		pos := l.posAt(pe.node, pe.off+r.off)
		switch r.kind {
		case "vars":
			if i := l.varIdx[r.name]; pe.varAt >= 0 && i >= pe.varAt {
				l.d.Add(pos, "vars.%s is defined at or after this var; a var can read only the vars above it", r.name)
			}
			sec.readVar(pe, r.name, pos)
		case "steps":
			l.checkStepRef(g, pe, r.name, pos)
		case "output", "suboutput":
			t, self := l.ids[r.name], r.name == ""
			if self {
				t = pe.step
			}
			if r.kind == "output" {
				l.checkOutputField(t, self, r.item, r.field, pos)
				l.checkSecretArgvOutput(pe, t, r.field, pos)
				if r.bare && (pe.cond != "" || r.pred != "") {
					l.checkBareOutput(pe, t, self, r, pos)
				}
				l.checkCompared(t, self, r, pos)
			} else {
				l.checkSubOutput(t, self, r, pos)
			}
		case "status":
			l.checkStatusRef(g, pe, r, pos)
		case "runstatus":
			l.checkRunStatusRef(pe, r, pos)
		case "class":
			l.checkClassRef(r, pos)
		case "inventory":
			l.inventoryRef(r, pos)
		case "inputs":
			l.checkSecretInput(pe, r.name, pos)
			l.checkSecretArgv(pe, r.name, pos)
			l.checkSecretGroup(pe, r.kind, r.name, pos)
			sec.readInput(pe, r.name)
		case "env", "item":
			l.checkSecretGroup(pe, r.kind, r.name, pos)
			sec.readSource(pe, r.kind, r.name, pos)
		}
	}
}

// checkList refuses a foreach whose result the type checker knows is not
// a list, which would otherwise fail only when the step runs.
func (l *loader) checkList(pe *pendingExpr, c *compiled) {
	switch c.kind {
	case reflect.Slice, reflect.Array, reflect.Interface, reflect.Invalid:
		return
	}
	what := "a " + c.kind.String()
	switch c.kind {
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64:
		what = "an integer"
	case reflect.Float64, reflect.Float32:
		what = "a number"
	case reflect.Map, reflect.Struct:
		what = "a map"
	}
	name := pe.what
	if name == "" {
		name = "foreach"
	}
	l.d.Add(l.posAt(pe.node, pe.off), "%s must give a list, but `%s` gives %s; %s", name, pe.e.Source, what, ListAdvice(name, pe.e.Source, what))
}

// checkOutputField checks steps.<id>.output.<field> against the fields
// the output of step t has (see outputFields); self is set for
// output.<field> in t's own retry or repeat, where output is what one
// attempt gave (one item's, in a foreach step), item for the output of
// one item of a foreach step (steps.<id>.output[i].<field> and the like).
// steps.<id>.output of a foreach step is the list of its items' outputs,
// which has no fields.
func (l *loader) checkOutputField(t *Step, self, item bool, field string, pos Pos) {
	if t == nil || t.Entry == nil || item && !t.fanout {
		return
	}
	names, known := outputFields(t)
	if t.fanout && !self && !item {
		eg, also := field, ""
		if known && !slices.Contains(names, field) {
			if c, ok := suggest.Closest(field, names); ok {
				eg = c
			} else {
				// Each item's output is checked too: the forms below would
				// be refused for this field.
				also = fmt.Sprintf(" (an item's output has no field %q either; it has %s)", field, strings.Join(names, ", "))
			}
		}
		l.d.Add(pos, "step %s is a foreach step, so steps.%s.output is the list of its items' outputs and has no field %q; read one item's, like steps.%s.output[0]%s, collect them, like map(steps.%s.output, %s), or test them all, like all(steps.%s.output, %s)%s", t.ID, t.ID, field, t.ID, fieldPath(eg), t.ID, itemPath(eg), t.ID, itemTest(t, eg), also)
		return
	}
	if !known || slices.Contains(names, field) {
		return
	}
	what := fmt.Sprintf("the output of step %s (%s)", t.ID, t.Op)
	if t.fanout {
		what = fmt.Sprintf("the output of each item of step %s (%s)", t.ID, t.Op)
	}
	switch {
	case t.Op != setOp:
		l.d.Add(pos, "%s has no field %q%s; it has %s (see 'arsenal-run ops describe %s')", what, field, suggest.DidYouMean(field, names), strings.Join(names, ", "), t.Op)
	case len(names) == 0:
		l.d.Add(pos, "%s has no field %q: the output of control.set is its with map, and step %s sets nothing; add %s under its with", what, field, t.ID, field)
	default:
		l.d.Add(pos, "%s has no field %q%s: the output of control.set is its with map, and step %s sets %s; add %s under its with, or read one of those", what, field, suggest.DidYouMean(field, names), t.ID, strings.Join(names, ", "), field)
	}
}

// setOp is the operation whose output is its with map.
const setOp = "control.set"

// outputFields returns the names of the fields of step t's output, and
// false when they are not known before it runs: its operation declares
// none, or an open output ("*"). control.set's output is its with map,
// whose keys are always written out in the playbook (with is a mapping).
func outputFields(t *Step) ([]string, bool) {
	if t.Op == setOp {
		switch {
		case t.With == nil:
			return nil, false // with did not decode; that is reported
		case t.With.Kind == KindMap:
			return t.With.Keys, true
		}
		m, ok := t.With.Lit.(map[string]any)
		if !ok {
			return nil, false
		}
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		sort.Strings(names)
		return names, true
	}
	out := t.Entry.Spec.Output
	if len(out) == 0 {
		return nil, false
	}
	names := make([]string, 0, len(out))
	for _, f := range out {
		if f.Name == "*" {
			return nil, false
		}
		names = append(names, f.Name)
	}
	return names, true
}

// fieldPath and itemPath write field as read from a map and from the
// item # of a predicate: .name, or ["a-b"] when it is not a name.
func fieldPath(field string) string {
	if isName(field) {
		return "." + field
	}
	return fmt.Sprintf("[%q]", field)
}

func itemPath(field string) string {
	if isName(field) {
		return "." + field
	}
	return fmt.Sprintf("#[%q]", field)
}

// itemTest is a test of field of an item's output, for a message: one
// that fits the type the operation declares for it.
func itemTest(t *Step, field string) string {
	x := itemPath(field)
	typ := ""
	if t.Op != setOp {
		for _, f := range t.Entry.Spec.Output {
			if f.Name == field {
				typ = f.Type
			}
		}
	}
	switch typ {
	case "string":
		return x + ` != ""`
	case "bool":
		return x
	case "integer", "number", "float":
		return x + " == 0"
	case "list":
		return "len(" + x + ") > 0"
	}
	return x + " != nil"
}

func isName(s string) bool {
	for i, r := range s {
		if r != '_' && !unicode.IsLetter(r) && (i == 0 || !unicode.IsDigit(r)) {
			return false
		}
	}
	return s != ""
}

func (l *loader) checkStepRef(g *graph, pe *pendingExpr, id string, pos Pos) {
	t := l.ids[id]
	e := pe.e
	switch {
	case t == nil:
		l.d.Add(pos, "unknown step %q%s; %s", id, didYouMeanStep(id, l.ids), l.stepList())
		return
	case pe.step == t:
		if pe.scope&scopeRetry != 0 {
			l.d.Add(pos, "step %s cannot read its own state; in retry.until, retry.when and repeat.until use output, error and attempt", id)
		} else {
			l.d.Add(pos, "step %s cannot read its own state: it is not known until the step has run; read another step's, or an input", id)
		}
		return
	case pe.scope&scopeOutputs != 0 || g == nil:
	case pe.step != nil && !g.before(t, pe.step):
		s := pe.step
		switch {
		case t.Section == SectionRescue && s.Section != SectionRescue && !s.Section.Handler():
			l.d.Add(pos, "steps.%s is a rescue step of %s; step %s can read it only when %s is among its needs (directly or through a step it needs)", id, t.RescueOf.ID, s.ID, t.RescueOf.ID)
		case s.Section == SectionRescue && t.Section == SectionSteps:
			l.d.Add(pos, "steps.%s is not finished when rescue step %s runs: a rescue step can read the step it rescues (%s) and the steps that step needs, directly or not", id, s.ID, s.RescueOf.ID)
		case s.Section == SectionRescue && t.Section == SectionRescue && t.RescueOf != s.RescueOf:
			l.d.Add(pos, "steps.%s is a rescue step of %s, which does not finish before %s runs", id, t.RescueOf.ID, s.ID)
		case outcomeHandler(t.Section) && outcomeHandler(s.Section) && t.Section != s.Section:
			l.d.Add(pos, "steps.%s is in %s, and step %s in %s: only one of on_success, on_failure and on_cancel runs, so %s never sees it; read it in finally or in the playbook's outputs", id, t.Section, s.ID, s.Section, s.ID)
		case t.Section != s.Section:
			l.d.Add(pos, "steps.%s is in %s, which runs after %s, where step %s is, so %s cannot read it; read it in a step of %s or in the playbook's outputs", id, t.Section, s.Section, s.ID, s.ID, t.Section)
		case g.before(s, t):
			// Adding the need would make a cycle.
			l.d.Add(pos, "steps.%s runs after step %s, which it needs (directly or not), so %s cannot read it; move this to a step after %s, or move step %s before %s", id, s.ID, s.ID, id, id, s.ID)
		default:
			l.d.Add(pos, "steps.%s is not finished when step %s runs; add %s to its needs (directly or through a step it needs)", id, s.ID, id)
		}
		return
	}
	for _, x := range e.Steps {
		if x == id {
			return
		}
	}
	e.Steps = append(e.Steps, id)
}

// checkStatusRef warns about steps.<id>.status == "<status>" in a step that
// needs <id>, directly or not, when it can never be true there: a step runs
// only once its needs succeeded, were skipped, or failed and were excused
// (continue_on_error) or rescued. The test is usually a `when:` written to
// act on a failure, and it would silently never run.
func (l *loader) checkStatusRef(g *graph, pe *pendingExpr, r ref, pos Pos) {
	if t := l.ids[r.name]; t != nil && t != pe.step && r.field != "" && !yamlx.Contains(stepStatuses, r.field) {
		x := "steps." + r.name + ".status"
		if r.item {
			x = "steps." + r.name + ".items[i].status"
		}
		l.d.Warn(pos, "%s is never %q: a step's status is one of %s (\"\" before it runs)%s, so == is false and != true in every run; write one of those, like %s == \"succeeded\"", x, r.field, strings.Join(stepStatuses, ", "), suggest.DidYouMean(r.field, stepStatuses), x)
		return
	}
	t, s := l.ids[r.name], pe.step
	if r.item || g == nil || t == nil || s == nil || t == s || t.Section != s.Section || t.RescueOf != s.RescueOf || !g.before(t, s) {
		return
	}
	switch r.field {
	case "failed":
		if t.ContinueOnError || len(t.Rescue) > 0 {
			return
		}
		l.d.Warn(pos, "steps.%s.status is never \"failed\" here: step %s runs only after %s succeeded or was skipped, since a failure of %s skips the steps that need it; to act on the failure, set continue_on_error: true on %s, give %s rescue: steps, or move %s to on_failure", t.ID, s.ID, t.ID, t.ID, t.ID, t.ID, s.ID)
	case "denied", "cancelled":
		l.d.Warn(pos, "steps.%s.status is never %q here: a step that is denied or cancelled skips the steps that need it, whatever continue_on_error says; read it in on_failure, on_cancel or finally", t.ID, r.field)
	}
}

// outcomeHandler reports whether sec runs for one outcome of the run
// only.
func outcomeHandler(sec Section) bool {
	return sec == SectionOnSuccess || sec == SectionOnFailure || sec == SectionOnCancel
}

// stepList names the playbook's steps for a message about an unknown one.
func (l *loader) stepList() string {
	if len(l.ids) == 0 {
		return "the playbook has no steps with an id"
	}
	ids := make([]string, 0, len(l.ids))
	for id, s := range l.ids {
		if s.ID == id { // not a name proposed for a misnamed step
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	const most = 12
	if len(ids) > most {
		return fmt.Sprintf("the playbook's steps include %s, … (%d in all)", strings.Join(ids[:most], ", "), len(ids))
	}
	return "the playbook's steps are " + strings.Join(ids, ", ")
}
