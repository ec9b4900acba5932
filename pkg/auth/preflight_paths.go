package auth

import (
	"path/filepath"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// checkPaths decides at preflight what the operation would decide of a
// step whose local paths (the params its operation marks ops.Param.Path)
// are written literally: a path that lies, made absolute from dir (the
// directory of the playbook the step is in, as the operation takes it),
// lexically under no root the step's scope gives is denied now, with the
// message the operation would give. Such a step was allowed by validate
// and schedule, then denied on every run, after the steps before it had
// run. A path written as an expression, one that a symlink leads out of
// the roots, and a protected path are left to the operation; of a list
// written partly with expressions, what is literal is judged.
//
// Of a choice among held roles, a path is denied only when no role that
// allows the operation holds it: each path on its own, narrowing
// nothing, so that preflight never denies what the run could allow.
func (s *Subject) checkPaths(st *steps.Step, dir string, d Decision) Decision {
	if !d.Allowed || st.Entry == nil {
		return d
	}
	for _, p := range st.Entry.Spec.Params {
		if p.Path == ops.PathNone {
			continue
		}
		for _, raw := range literalPaths(st, p.Name) {
			if rule := s.judgePath(st, p.Path, dir, raw); rule != "" {
				return Decision{Rule: rule, Via: d.Via, Params: true}
			}
		}
	}
	return d
}

// literalPaths are the paths the step's param name is written with
// literally: the string, or the strings of a list.
func literalPaths(st *steps.Step, name string) []string {
	switch v := partialParam(st, name).(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, it := range v {
			if s, ok := it.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// judgePath is the rule denying the literal path raw of a param marked
// where, "" when the step's roots hold it or the operation must tell.
func (s *Subject) judgePath(st *steps.Step, where ops.Path, dir, raw string) string {
	if raw == "" || strings.IndexByte(raw, 0) >= 0 {
		return "" // refused as a param before the run
	}
	abs, from := filepath.Clean(raw), "the playbook's directory"
	switch {
	case filepath.IsAbs(raw):
	case dir != "":
		abs = filepath.Join(dir, raw)
	default:
		// The operation takes it from the working directory then.
		a, err := filepath.Abs(raw)
		if err != nil {
			return ""
		}
		abs, from = a, "the working directory"
	}
	var extra []string
	if where == ops.PathInRootsOrDir && dir != "" {
		if fsroot.Holds([]string{dir}, abs) {
			return ""
		}
		extra = []string{dir}
	}
	scope := s.Scope(st.Op, st.Risk)
	if scope == nil {
		return ""
	}
	roots := scope.FileRoots()
	if roots == nil {
		roots = fsroot.Defaults()
	}
	if fsroot.Holds(roots, abs) {
		return ""
	}
	roots = append(append([]string(nil), roots...), extra...)
	err := fsroot.OutsideRoots(fsroot.Named(raw, abs, from), roots, scope.RootsOwners())
	return strings.TrimPrefix(err.Error(), errDenied.Error()+": ")
}
