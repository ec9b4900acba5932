package fileop

import (
	"context"
	"fmt"
	"io/fs"
	"os/user"
	"strconv"
	"syscall"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

var modeParam = ops.Param{Name: "mode", Type: ops.TypeString, TypeHint: ops.ModeHint, MaxLen: 4, Description: "permission bits in octal, like 0755"}

// checkMode checks an octal mode param.
func checkMode(p ops.Params, errs *ops.ParamErrors) {
	if !p.Known("mode") {
		return
	}
	if n, err := strconv.ParseUint(p.String("mode"), 8, 32); err != nil || n > 0o7777 {
		*errs = append(*errs, &ops.ParamError{Param: "mode", Msg: fmt.Sprintf("%q is not an octal mode like 0644", p.String("mode"))})
	}
}

// modeRisk is the risk of an op that sets the mode of what it makes: a
// mode with the setuid or setgid bit is destructive, whatever risk the op
// has otherwise. Run as root, file.write then file.chmod 4755 would make a
// program anyone on the host runs as root, so a role allowed to write
// files inside its roots may not do that unless it may also destroy.
func modeRisk(p ops.Params, base ops.Risk) ops.Risk {
	if _, given := p["mode"]; given && !p.Known("mode") {
		// Computed when the step runs: it may be setuid, so preflight
		// counts the most it could be rather than deny the step halfway.
		return ops.RiskDestructive
	}
	if !p.Known("mode") {
		return base
	}
	if n, err := strconv.ParseUint(p.String("mode"), 8, 32); err == nil && n&0o6000 != 0 {
		return ops.RiskDestructive
	}
	return base
}

// RiskFor is destructive for a setuid or setgid mode (see modeRisk).
func (*Chmod) RiskFor(p ops.Params) ops.Risk { return modeRisk(p, ops.RiskWrite) }

// AssessesDeferred: modeRisk answers for a mode still to be computed.
func (*Chmod) AssessesDeferred() bool { return true }

// AssessesDeferred: modeRisk answers for a mode still to be computed.
func (*Mkdir) AssessesDeferred() bool { return true }

// RiskFor is destructive for a setuid or setgid mode (see modeRisk).
func (*Mkdir) RiskFor(p ops.Params) ops.Risk { return modeRisk(p, ops.RiskWrite) }

// modeBits are the bits of a mode param: permissions, setuid, setgid and
// sticky.
const modeBits = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

// modeOf is the mode param as an fs.FileMode, or def when it is not given.
func modeOf(p ops.Params, def fs.FileMode) fs.FileMode {
	if !p.Known("mode") {
		return def
	}
	n, _ := strconv.ParseUint(p.String("mode"), 8, 32)
	// The octal setuid, setgid and sticky bits are not where fs.FileMode
	// keeps them.
	m := fs.FileMode(n) & fs.ModePerm
	if n&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if n&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if n&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

func errsOrNil(errs ops.ParamErrors) error {
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// Mkdir is file.mkdir.
type Mkdir struct{}

func mkdirSpec() ops.Spec {
	return ops.Spec{
		Name:        "file.mkdir",
		Description: "Create a directory and any missing parents, like mkdir -p. Succeeds when it already exists as a directory (changed: false).",
		Risk:        ops.RiskWrite,
		Params:      []ops.Param{pathParam, {Name: "mode", Type: ops.TypeString, Default: "0755", TypeHint: ops.ModeHint, MaxLen: 4, Description: "the mode in octal, like 0750, or 2775 and 1777 for setgid and sticky; the parents created on the way get its permission bits only"}},
		Output: []ops.Field{
			{Name: "path", Type: "string", Description: "the absolute path"},
			{Name: "changed", Type: "bool", Description: "true when the directory was created"},
		},
	}
}

// ValidateParams checks the path and mode.
func (*Mkdir) ValidateParams(p ops.Params, _ bool) error {
	var errs ops.ParamErrors
	if err := checkPath(p); err != nil {
		errs = append(errs, err.(*ops.ParamError))
	}
	checkMode(p, &errs)
	return errsOrNil(errs)
}

// Execute creates the directory.
func (*Mkdir) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	path := p.String("path")
	t, err := open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	if st, err := t.root.Stat(t.rel); err == nil {
		if !st.IsDir() {
			return nil, ops.Errorf(ops.ClassExecution, "%s exists and is not a directory", path)
		}
		return map[string]any{"path": t.abs, "changed": false}, nil
	}
	// Each directory is made in its parent as judged (makeDirs), with
	// permission bits only, less the umask: set the asked mode, setgid and sticky included, on the leaf
	// afterwards, as mkdir -p -m does.
	mode := modeOf(p, 0o755)
	if err := makeDirs(t, t.rel, mode.Perm()); err != nil {
		return nil, policy.Classify(ctx, err, path, policy.Roots(ctx))
	}
	if testHookMade != nil {
		testHookMade()
	}
	if p.Known("mode") {
		// On the directory made, not on what its name leads to now: one
		// swapped for a symlink to the state dir is refused.
		f, st, err := pinJudged(t, false)
		if err != nil {
			return nil, policy.Classify(ctx, err, path, policy.Roots(ctx))
		}
		defer f.Close()
		if !st.IsDir() {
			return nil, ops.Errorf(ops.ClassExecution, "%s was replaced by a %s while it was made; nothing was changed in its place", path, fileType(st.Mode()))
		}
		if err := f.Chmod(mode); err != nil {
			return nil, policy.Classify(ctx, err, path, policy.Roots(ctx))
		}
	}
	return map[string]any{"path": t.abs, "changed": true}, nil
}

// Chmod is file.chmod.
type Chmod struct{}

func chmodSpec() ops.Spec {
	m := modeParam
	m.Required = true
	return ops.Spec{
		Name:        "file.chmod",
		Description: "Set the permission bits of a file or directory. A symlink's target is changed only when it lies inside the allowed roots.",
		Risk:        ops.RiskWrite,
		Params:      []ops.Param{pathParam, m},
		Output: []ops.Field{
			{Name: "path", Type: "string", Description: "the absolute path"},
			{Name: "mode", Type: "string", Description: "the mode now, in octal"},
			{Name: "changed", Type: "bool", Description: "true when the mode was different"},
		},
	}
}

// ValidateParams checks the path and mode.
func (*Chmod) ValidateParams(p ops.Params, _ bool) error {
	var errs ops.ParamErrors
	if err := checkPath(p); err != nil {
		errs = append(errs, err.(*ops.ParamError))
	}
	checkMode(p, &errs)
	return errsOrNil(errs)
}

// Execute sets the mode.
func (*Chmod) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	path := p.String("path")
	t, err := open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	f, st, err := pinJudged(t, true)
	if err != nil {
		return nil, policy.Classify(ctx, err, path, policy.Roots(ctx))
	}
	defer f.Close()
	mode := modeOf(p, 0)
	changed := st.Mode()&modeBits != mode
	if changed {
		if err := f.Chmod(mode); err != nil {
			return nil, policy.Classify(ctx, err, path, policy.Roots(ctx))
		}
	}
	return map[string]any{"path": t.abs, "mode": fsx.Octal(mode), "changed": changed}, nil
}

// Chown is file.chown.
type Chown struct{}

func chownSpec() ops.Spec {
	return ops.Spec{
		Name:        "file.chown",
		Description: "Set the owner and/or group of a file or directory, by name or numeric id. A symlink itself is changed, never its target.",
		Risk:        ops.RiskWrite,
		Params: []ops.Param{pathParam,
			{Name: "owner", Type: ops.TypeAny, Description: "a user name or uid"},
			{Name: "group", Type: ops.TypeAny, Description: "a group name or gid"},
		},
		Output: []ops.Field{
			{Name: "path", Type: "string", Description: "the absolute path"},
			{Name: "uid", Type: "integer", Description: "the owner now"},
			{Name: "gid", Type: "integer", Description: "the group now"},
			{Name: "changed", Type: "bool", Description: "true when owner or group was different"},
		},
	}
}

// ValidateParams checks that owner or group is given.
func (*Chown) ValidateParams(p ops.Params, final bool) error {
	var errs ops.ParamErrors
	if err := checkPath(p); err != nil {
		errs = append(errs, err.(*ops.ParamError))
	}
	_, o := p["owner"]
	_, g := p["group"]
	if !o && !g {
		errs = append(errs, &ops.ParamError{Msg: "give owner, group or both"})
	}
	for _, name := range []string{"owner", "group"} {
		if v, ok := p[name]; ok && v != ops.Deferred {
			switch v.(type) {
			case string, int:
			default:
				errs = append(errs, &ops.ParamError{Param: name, Msg: "want a name or a numeric id, got " + ops.TypeName(v)})
			}
		}
	}
	return errsOrNil(errs)
}

// lookupID resolves a user or group given by name or id.
func lookupID(v any, group bool) (int, error) {
	switch x := v.(type) {
	case int:
		if x < 0 || x > 1<<31-2 {
			return 0, fmt.Errorf("id %d is out of range", x)
		}
		return x, nil
	case string:
		if n, err := strconv.Atoi(x); err == nil && n >= 0 {
			return n, nil
		}
		var id string
		if group {
			g, err := user.LookupGroup(x)
			if err != nil {
				return 0, fmt.Errorf("no group %q on this host", x)
			}
			id = g.Gid
		} else {
			u, err := user.Lookup(x)
			if err != nil {
				return 0, fmt.Errorf("no user %q on this host", x)
			}
			id = u.Uid
		}
		return strconv.Atoi(id)
	}
	return 0, fmt.Errorf("want a name or an id")
}

// Execute changes the owner.
func (*Chown) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	path := p.String("path")
	uid, gid := -1, -1
	var err error
	if v, ok := p["owner"]; ok {
		if uid, err = lookupID(v, false); err != nil {
			return nil, ops.Errorf(ops.ClassValidation, "file.chown owner: %v", err)
		}
	}
	if v, ok := p["group"]; ok {
		if gid, err = lookupID(v, true); err != nil {
			return nil, ops.Errorf(ops.ClassValidation, "file.chown group: %v", err)
		}
	}
	t, err := open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	f, st, err := pinJudged(t, false)
	if err != nil {
		return nil, policy.Classify(ctx, err, path, policy.Roots(ctx))
	}
	defer f.Close()
	curU, curG := -1, -1
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		curU, curG = int(sys.Uid), int(sys.Gid)
	}
	changed := uid >= 0 && uid != curU || gid >= 0 && gid != curG
	if changed {
		if err := f.Chown(uid, gid); err != nil {
			return nil, policy.Classify(ctx, err, path, policy.Roots(ctx))
		}
	}
	if uid < 0 {
		uid = curU
	}
	if gid < 0 {
		gid = curG
	}
	return map[string]any{"path": t.abs, "uid": uid, "gid": gid, "changed": changed}, nil
}

// testHookMade, when set, runs once file.mkdir has made the directory,
// before it sets its mode: tests swap the name there.
var testHookMade func()

// testHookJudged, when set, runs after file.chmod or file.chown has judged
// the file and before it changes it: tests swap the name there.
var testHookJudged func()

// pinJudged pins t's file (pin), following a symlink at its last name
// with follow, and judges it as pinned: a hard link or a symlink put in
// its place after that is not what the op changes. A hard link's mode and
// owner are the protected file's own.
func pinJudged(t *target, follow bool) (*pinned, fs.FileInfo, error) {
	f, err := pin(t, follow)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err == nil {
		err = f.judge(t.abs, st)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if testHookJudged != nil {
		testHookJudged()
	}
	return f, st, nil
}
