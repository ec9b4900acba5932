package fileop

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/tmpl"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/udiff"
)

// Template is the file.template operation.
type Template struct{}

var (
	_ ops.Op             = (*Template)(nil)
	_ ops.ParamValidator = (*Template)(nil)
	_ ops.RiskAssessor   = (*Template)(nil)
)

// Bounds of file.template.
const (
	MaxTemplateSize = 1 << 20  // bytes of a template
	MaxDiffSize     = 64 << 10 // bytes of the diff in the output
)

func templateSpec() ops.Spec {
	return ops.Spec{
		Name: "file.template",
		Description: "Render a template and write it to dest atomically (a temporary file renamed into place), only when the result differs. " +
			"${{ }} in the template are expressions over values (values.port, upper(values.name)), nothing else. " +
			"Reports changed and a unified diff of the file before and after. With check: true nothing is written: the diff shows what would change " +
			"(Ansible's check and diff mode), and the step counts as a read, so it also runs in a dry run.",
		Risk: ops.RiskWrite,
		Params: []ops.Param{
			{Name: "src", Type: ops.TypeString, MaxLen: 4096, Path: ops.PathInRootsOrDir, Description: "the template file, inside the allowed roots, or in the playbook's directory when written literally; exclusive with content"},
			{Name: "content", Type: ops.TypeString, MaxLen: MaxTemplateSize, Template: true, Description: "the template itself; write $${{ values.x }} here, since the playbook interpolates ${{ }} first; exclusive with src"},
			{Name: "dest", Type: ops.TypeString, Required: true, MaxLen: 4096, Path: ops.PathInRoots, Description: "the file to write; it must lie inside the allowed roots"},
			{Name: "values", Type: ops.TypeMap, Description: "what the template's expressions read, as values.<name>"},
			{Name: "mode", Type: ops.TypeString, TypeHint: ops.ModeHint, MaxLen: 4, Description: "the mode in octal, like 0644, or 4 digits with setuid, setgid or sticky (4755); default the permission bits of the existing file, or 0644 for a new one"},
			{Name: "create_dirs", Type: ops.TypeBool, Default: false, Description: "create dest's missing parent directories (mode 0755)"},
			{Name: "check", Type: ops.TypeBool, Default: false, Description: "only report whether the file would change, and the diff; write nothing"},
		},
		Output: []ops.Field{
			{Name: "changed", Type: "bool", Description: "true when the content or the mode differs (with check: would differ)"},
			{Name: "diff", Type: "string", Description: "a unified diff of the content, current to rendered; empty when equal; at most 64 KiB"},
			{Name: "path", Type: "string", Description: "the absolute path of dest"},
			{Name: "bytes", Type: "integer", Description: "the size of the rendered content"},
		},
	}
}

// RiskFor is read for check: true, which writes nothing, and destructive
// for a setuid or setgid mode (see modeRisk).
func (*Template) RiskFor(p ops.Params) ops.Risk {
	if b, ok := p["check"].(bool); ok && b {
		return ops.RiskRead
	}
	return modeRisk(p, ops.RiskWrite)
}

// AssessesDeferred: a check still to be computed counts as writing, and
// modeRisk answers for a mode still to be computed.
func (*Template) AssessesDeferred() bool { return true }

// ValidateParams checks that src or content is given, the paths and the
// mode, and, for inline content known now, the template itself.
func (*Template) ValidateParams(p ops.Params, _ bool) error {
	var errs ops.ParamErrors
	_, hasSrc := p["src"]
	_, hasContent := p["content"]
	switch {
	case hasSrc && hasContent:
		errs = append(errs, &ops.ParamError{Param: "src", Msg: "give src (a template file) or content (the template), not both"})
	case !hasSrc && !hasContent:
		errs = append(errs, &ops.ParamError{Param: "src", Msg: "give src (a template file) or content (the template)"})
	}
	for _, name := range []string{"src", "dest"} {
		switch {
		case !p.Known(name):
		case p.String(name) == "":
			errs = append(errs, &ops.ParamError{Param: name, Msg: "is empty"})
		case containsNUL(p.String(name)):
			errs = append(errs, &ops.ParamError{Param: name, Msg: "contains a NUL byte"})
		}
	}
	checkMode(p, &errs)
	if hasContent && p.Known("content") && (!has(p, "values") || p.Known("values")) {
		// An inline template and its values known when the playbook is
		// loaded: its errors are found before anything runs.
		if _, err := tmpl.Compile("content", p.String("content"), p.Map("values")); err != nil {
			errs = append(errs, &ops.ParamError{Param: "content", Msg: templateErrMsg(err)})
		}
	}
	return errsOrNil(errs)
}

func has(p ops.Params, name string) bool {
	_, ok := p[name]
	return ok
}

// templateErrMsg says where in an inline template err is, as its line and
// column (the template's own: its first line is the one after "|").
func templateErrMsg(err error) string {
	var te *tmpl.Error
	if errors.As(err, &te) {
		return fmt.Sprintf("line %d, column %d of the template: %s", te.Line, te.Col, te.Msg)
	}
	return err.Error()
}

func containsNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}

// Execute renders and writes the file.
func (*Template) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	text, name, err := templateText(ctx, p)
	if err != nil {
		return nil, err
	}
	values := p.Map("values")
	tp, err := tmpl.Compile(name, text, values)
	if err != nil {
		return nil, ops.WithClass(ops.ClassValidation, err)
	}
	rendered, err := tp.Render(ctx, values)
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	if err != nil {
		return nil, ops.WithClass(ops.ClassValidation, err)
	}

	path := p.String("dest")
	t, err := open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	fail := func(err error) error { return policy.Classify(ctx, err, path, policy.Roots(ctx)) }
	if t.rel == "." {
		return nil, ops.Errorf(ops.ClassExecution, "%s is a root directory, not a file", path)
	}
	dir := filepath.Dir(t.rel)
	// Without mode a rewritten file keeps its permission bits but not
	// setuid, setgid or sticky, as file.write does, and those bits alone
	// do not make it differ. It keeps its owner and group (see keepOwner).
	mode, current, exists := fs.FileMode(0o644), "", false
	fi, err := t.root.Lstat(t.rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fail(err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return nil, ops.Errorf(ops.ClassExecution, "%s is a symlink; give the file it points to as dest", path)
	case !fi.Mode().IsRegular():
		return nil, ops.Errorf(ops.ClassExecution, "%s is a %s, not a regular file", path, fileType(fi.Mode()))
	case fi.Size() > tmpl.MaxOutput:
		exists, mode, current = true, fi.Mode().Perm(), fmt.Sprintf("(the current file is %d bytes, too large to compare)\n", fi.Size())
	default:
		b, err := readCurrent(t)
		if err != nil {
			return nil, fail(err)
		}
		exists, mode, current = true, fi.Mode().Perm(), string(b)
	}
	oldMode := mode
	if p.Known("mode") {
		mode = modeOf(p, mode)
		if exists {
			oldMode = fi.Mode() & modeBits
		}
	}
	out := map[string]any{
		"changed": !exists || current != rendered || mode != oldMode,
		"diff":    diffOf(t.abs, "rendered", current, rendered, exists),
		"path":    t.abs,
		"bytes":   len(rendered),
	}
	if p.Bool("check") || out["changed"] == false {
		return out, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	if p.Bool("create_dirs") && dir != "." {
		if err := makeDirs(t, dir, 0o755); err != nil {
			return nil, fail(err)
		}
	}
	var replaced fs.FileInfo
	if exists {
		replaced = fi
	}
	if err := replaceWith(ctx, t, rendered, mode, replaced); err != nil {
		return nil, err
	}
	return out, nil
}

// templateText returns the template and the name its errors carry.
func templateText(ctx context.Context, p ops.Params) (string, string, error) {
	if _, ok := p["content"]; ok {
		return p.String("content"), "content", nil
	}
	src := p.String("src")
	// The playbook's directory holds the templates the playbook names,
	// not whatever a caller names through an input: a src computed by an
	// expression is read only inside the roots, or a role that may only
	// read could read any file beside the playbook (a secret, an env
	// file) through check: true's diff.
	var extra []string
	call := ops.CallFrom(ctx)
	literal := call.IsLiteral("src")
	if call.Dir != "" && literal {
		extra = []string{call.Dir}
	}
	b, err := policy.ReadFile(ctx, src, extra, MaxTemplateSize)
	switch {
	case errors.Is(err, ops.ErrDenied) && call.Dir != "" && !literal:
		return "", "", ops.WithClass(ops.ClassAuthorization, fmt.Errorf("%w; src is computed by an expression, so the playbook's directory does not hold it as it holds a src written in the playbook: write src literally, or have an admin add the templates' directory to file_roots", err))
	case errors.Is(err, ops.ErrDenied):
		return "", "", ops.WithClass(ops.ClassAuthorization, err)
	case errors.Is(err, fs.ErrNotExist):
		return "", "", ops.Errorf(ops.ClassExecution, "template %s does not exist%s", src, policy.LookedFor(ctx, src))
	case err != nil:
		return "", "", ops.Errorf(ops.ClassExecution, "template %s: %v", src, err)
	}
	// Judged once read: a template another user could swap would choose
	// what this run writes.
	if abs, err := policy.Abs(ctx, src); err == nil {
		if err := policy.SwappableSource(ctx, nil, abs, "the template"); err != nil {
			return "", "", err
		}
	}
	return string(b), src, nil
}

// diffOf is the unified diff from the current content to the rendered one,
// labelled as the op names it (rendered, new). When the two end their
// lines differently, the labels say how each does: a line that lost or
// gained only its CR shows as removed and added alike.
func diffOf(abs, label, current, rendered string, exists bool) string {
	from, to := abs+"\t(current", abs+"\t("+label
	if a, b := lineEnds(current), lineEnds(rendered); exists && a != "" && b != "" && a != b {
		from, to = from+", "+a+" line ends", to+", "+b+" line ends"
	}
	from, to = from+")", to+")"
	if !exists {
		from = "/dev/null"
	}
	return udiff.Unified(from, to, current, rendered, 3, MaxDiffSize)
}

// lineEnds names how s ends its lines: CRLF, LF, mixed, or "" for text
// of one line.
func lineEnds(s string) string {
	lf, crlf := strings.Count(s, "\n"), strings.Count(s, "\r\n")
	switch {
	case lf == 0:
		return ""
	case crlf == lf:
		return "CRLF"
	case crlf == 0:
		return "LF"
	}
	return "mixed CRLF and LF"
}
