package steps

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// Load reads, decodes and validates the playbook at path. On any problem it
// returns Diagnostics holding every problem found, sorted by position; a
// playbook with problems is never returned.
func Load(path string, reg *ops.Registry) (*Playbook, error) {
	f, err := fsx.Open(path) // never blocks on a FIFO; refuses what is not a regular file
	if err != nil {
		return nil, Diagnostics{{File: path, Pos: Pos{Line: 1, Col: 1}, Msg: fmt.Sprintf("cannot read the playbook: %v", err)}}
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		return nil, Diagnostics{{File: path, Pos: Pos{Line: 1, Col: 1}, Msg: "not a regular file; give the path of a playbook .yaml file"}}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, Diagnostics{{File: path, Pos: Pos{Line: 1, Col: 1}, Msg: fmt.Sprintf("cannot read the playbook: %v", err)}}
	}
	return Parse(path, data, reg)
}

// Parse decodes and validates a playbook held in memory; file names it in
// diagnostics and resolves relative paths against its directory.
func Parse(file string, data []byte, reg *ops.Registry) (*Playbook, error) {
	sum := sha256.Sum256(data)
	dir := filepath.Dir(file)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	pb := &Playbook{File: file, Dir: dir, SHA256: hex.EncodeToString(sum[:])}
	l := &loader{d: &yamlx.Diags{File: file}, data: data, reg: reg, pb: pb, ids: map[string]*Step{}, varIdx: map[string]int{}}
	root := yamlx.Parse(data, limits, l.d)
	if root == nil {
		return nil, l.d.Err()
	}
	l.decodeTop(root)
	g := l.buildGraph()
	l.compileAll(g)
	if err := l.d.Err(); err != nil {
		return nil, err
	}
	return pb, nil
}

// compileAll compiles every expression collected while decoding and checks
// the step and var references against the graph.
func (l *loader) compileAll(g *graph) {
	l.comp = newExprCompiler(l.pb)
	for _, pe := range l.pending {
		e := pe.e
		c := l.comp.compile(e.Source, pe.scope, e.bool)
		if c.err != nil {
			l.d.Add(l.posAt(pe.node, pe.off+c.err.off), "%s", c.err.msg)
			continue
		}
		e.Program = c.prog
		for _, r := range c.refs {
			pos := l.posAt(pe.node, pe.off+r.off)
			switch r.kind {
			case "vars":
				if i := l.varIdx[r.name]; pe.varAt >= 0 && i >= pe.varAt {
					l.d.Add(pos, "vars.%s is defined at or after this var; a var can read only the vars above it", r.name)
				}
			case "steps":
				l.checkStepRef(g, pe, r.name, pos)
			}
		}
	}
}

func (l *loader) checkStepRef(g *graph, pe *pendingExpr, id string, pos Pos) {
	t := l.ids[id]
	e := pe.e
	switch {
	case t == nil:
		l.d.Add(pos, "unknown step %q%s", id, didYouMeanStep(id, l.ids))
		return
	case pe.step == t:
		l.d.Add(pos, "step %s cannot read its own state; in retry.until and retry.when use output, error and attempt", id)
		return
	case pe.scope&scopeOutputs != 0 || g == nil:
	case pe.step != nil && !g.before(t, pe.step):
		l.d.Add(pos, "steps.%s is not finished when step %s runs; add %s to its needs (directly or through a step it needs)", id, pe.step.ID, id)
		return
	}
	for _, x := range e.Steps {
		if x == id {
			return
		}
	}
	e.Steps = append(e.Steps, id)
}
