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

	"github.com/arsenal-run/arsenal-run/internal/fsx"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
)

// SubPlaybookOp is the operation that runs another playbook. When its path
// is literal, validation loads that playbook and checks the inputs passed
// to it.
const SubPlaybookOp = "playbook.run"

// maxSubLoads bounds how deep validation follows playbook.run, like the
// engine's limit on nested runs.
const maxSubLoads = 8

// subLoads is shared by the loads of one playbook and of the sub-playbooks
// it reaches, so that each file is read once and recursion ends.
type subLoads struct {
	chain []string // absolute paths of the playbooks being loaded, outermost first
	done  map[string]subResult
	inv   *inventory.Inventory // WithInventory's, for every playbook of the load
	// checks are WithCheck's, for the playbook loaded (not its
	// sub-playbooks).
	checks []func(*Playbook) Diagnostics
}

type subResult struct {
	pb      *Playbook
	problem string // why it does not load; "" when it does
	missing bool   // the file does not exist
}

func newSubLoads() *subLoads { return &subLoads{done: map[string]subResult{}} }

// checkSubPlaybook checks a playbook.run step whose path is literal and
// inside the calling playbook's directory tree: the sub-playbook must
// validate, and the inputs passed must be ones it declares, of its types,
// with every required one given. Paths outside the tree are not read here:
// whether the caller may read them depends on the roles of the run, which
// the run checks. A sub-playbook that is already being loaded (recursion)
// or nested too deep is left to the run as well, which refuses both. When
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
	l.checkSubInputs(sub, pathN, inN)
	names := make([]string, len(sub.Outputs))
	for i, o := range sub.Outputs {
		names[i] = o.Name
	}
	s.sub = &subOutputs{path: pathN.Value, names: names}
}

// subOutputs are the outputs the sub-playbook of a playbook.run step
// declares, known when its path is literal and it loads.
type subOutputs struct {
	path  string // as written in the step
	names []string
}

// checkSubOutput checks steps.<id>.output.outputs.<name> against the
// outputs the sub-playbook of step t declares; self is set for
// output.outputs.<name> in t's own retry or repeat. A step whose
// sub-playbook is not known (a path given by an expression, outside the
// playbook's tree, or that does not load) is not checked, and neither is
// steps.<id>.output of a foreach step, a list (checkOutputField says so).
func (l *loader) checkSubOutput(t *Step, self bool, r ref, pos Pos) {
	if t == nil || t.sub == nil || t.fanout && !self || t.Op != SubPlaybookOp || slices.Contains(t.sub.names, r.field) {
		return
	}
	if len(t.sub.names) == 0 {
		l.d.Add(pos, "step %s runs %s, which declares no outputs, so it has no output %q; declare it under outputs: in %s", t.ID, t.sub.path, r.field, t.sub.path)
		return
	}
	l.d.Add(pos, "step %s runs %s, which has no output %q%s; it declares %s", t.ID, t.sub.path, r.field, suggest.DidYouMean(r.field, t.sub.names), strings.Join(t.sub.names, ", "))
}

// loadSub loads the sub-playbook at the path written in n, or returns nil
// after reporting why it cannot be used, or when it is not to be read.
func (l *loader) loadSub(n *yaml.Node) *Playbook {
	path := n.Value
	rel := filepath.FromSlash(path)
	if filepath.IsAbs(rel) {
		r, err := filepath.Rel(l.pb.Dir, rel)
		if err != nil {
			return nil
		}
		rel = r
	}
	rel = filepath.Clean(rel)
	if !filepath.IsLocal(rel) {
		return nil
	}
	abs := filepath.Join(l.pb.Dir, rel)
	if slices.Contains(l.sub.chain, abs) || len(l.sub.chain) > maxSubLoads {
		return nil
	}
	r, ok := l.sub.done[abs]
	if !ok {
		r = l.readSub(rel, filepath.Join(filepath.Dir(l.pb.File), rel))
		l.sub.done[abs] = r
	}
	switch {
	case r.missing:
		l.d.Add(yamlx.PosOf(n), "%s: %s does not exist; the path is relative to this playbook's directory", SubPlaybookOp, path)
	case r.problem != "":
		l.d.Add(yamlx.PosOf(n), "%s: %s has problems: %s", SubPlaybookOp, path, r.problem)
	}
	return r.pb
}

// readSub reads and validates rel under the playbook's directory, through
// os.Root so that a symlink cannot lead outside it. display names the file
// in messages.
func (l *loader) readSub(rel, display string) subResult {
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
	return subResult{problem: problem + fmt.Sprintf("; run 'arsenal-run validate %s'", display)}
}

// checkSubInputs checks the inputs a playbook.run step passes (node inN,
// nil when absent) against those sub declares. Values that hold an
// expression are checked when the step runs.
func (l *loader) checkSubInputs(sub *Playbook, pathN, inN *yaml.Node) {
	path := pathN.Value
	given := map[string]bool{}
	at := yamlx.PosOf(pathN)
	if inN != nil {
		in := yamlx.Deref(inN)
		at = yamlx.PosOf(in)
		if in.Kind != yaml.MappingNode {
			return // an expression giving the whole map, or a problem already reported
		}
		pairs, _ := yamlx.Pairs(in, "inputs", &yamlx.Diags{})
		for _, p := range pairs {
			given[p.Key] = true
			decl := sub.Input(p.Key)
			if decl == nil {
				l.d.Add(yamlx.PosOf(p.K), "%s: %s", SubPlaybookOp, unknownSubInput(path, sub, p.Key))
				continue
			}
			if hasExpr(p.V) {
				continue
			}
			if _, err := decl.Coerce(yamlx.Plain(p.V, &yamlx.Diags{})); err != nil {
				msg := err.Error()
				if decl.Secret {
					// The message may quote the value.
					msg = fmt.Sprintf("the value does not fit this secret %s input (it is not shown)", decl.Type)
				}
				l.d.Add(yamlx.PosOf(yamlx.Deref(p.V)), "%s: input %s of %s: %s", SubPlaybookOp, p.Key, path, msg)
			}
		}
	}
	for _, decl := range sub.Inputs {
		if decl.Required && decl.Env == "" && !given[decl.Name] {
			l.d.Add(at, "%s: %s requires input %s (%s); add it under inputs", SubPlaybookOp, path, decl.Name, decl.Type)
		}
	}
}

func unknownSubInput(path string, sub *Playbook, name string) string {
	if len(sub.Inputs) == 0 {
		return fmt.Sprintf("%s declares no inputs; remove %q", path, name)
	}
	names := make([]string, len(sub.Inputs))
	for i, in := range sub.Inputs {
		names[i] = in.Name
	}
	return fmt.Sprintf("%s has no input %q%s; it declares %s", path, name, suggest.DidYouMean(name, names), strings.Join(names, ", "))
}

// hasExpr reports whether a value holds ${{ }} anywhere. The tree was
// bounded when it was parsed.
func hasExpr(n *yaml.Node) bool {
	n = yamlx.Deref(n)
	if n.Kind == yaml.ScalarNode {
		return strings.Contains(n.Value, "${{")
	}
	for _, c := range n.Content {
		if hasExpr(c) {
			return true
		}
	}
	return false
}
