package engine

import (
	"path/filepath"

	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// SubPlaybooks returns, for a playbook.run call, what its result depends
// on besides its params: the SHA-256 of the sub-playbook it runs and, in
// turn, of each one that sub-playbook runs by a literal path, down to
// MaxSubDepth, in the order met. The result cache puts it in the call's
// key, so that an edited sub-playbook (a fix to a runbook, two levels
// down) runs instead of handing back what its old version computed. A
// file that cannot be read or does not validate is named by its error,
// which the run reports when it gets there. Nil for any other call.
func (c *Call) SubPlaybooks() []string {
	if c.Step == nil || c.Step.Op != "playbook.run" || c.run == nil {
		return nil
	}
	path := c.Params.String("path")
	if path == "" {
		return nil
	}
	w := subDigest{reg: c.run.p.e, scope: c.Scope, seen: map[string]bool{}}
	w.walk(c.run.p.pb.Dir, path, 1)
	return w.out
}

type subDigest struct {
	reg   *Engine
	scope any
	seen  map[string]bool
	out   []string
}

func (w *subDigest) walk(dir, path string, depth int) {
	if !filepath.IsAbs(path) && dir != "" {
		path = filepath.Join(dir, path)
	}
	path = absPath(filepath.Clean(path))
	if w.seen[path] || depth > MaxSubDepth {
		return // a cycle, or too deep: the run refuses the step itself
	}
	w.seen[path] = true
	defer delete(w.seen, path)
	pb, err := LoadSubPlaybook(path, SubPlaybookRoots(w.scope, dir), w.reg.reg)
	if err != nil {
		w.out = append(w.out, path+": "+err.Error())
		return
	}
	w.out = append(w.out, path+"@"+pb.SHA256)
	for _, st := range pb.AllSteps() {
		if sub := literalSubPath(st); sub != "" {
			w.walk(pb.Dir, sub, depth+1)
		}
	}
}

// literalSubPath is the path of a playbook.run step written without an
// expression (its inputs may have some), or "".
func literalSubPath(st *steps.Step) string {
	if st.Op != "playbook.run" {
		return ""
	}
	if st.Params != nil {
		return st.Params.String("path")
	}
	if w := st.With; w != nil && w.Kind == steps.KindMap {
		for i, k := range w.Keys {
			if v := w.Items[i]; k == "path" && !v.Dynamic() {
				s, _ := v.Lit.(string)
				return s
			}
		}
	}
	return ""
}
