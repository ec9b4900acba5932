package fileop

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// Find is the file.find operation.
type Find struct{}

var (
	_ ops.Op             = (*Find)(nil)
	_ ops.ParamValidator = (*Find)(nil)
)

// Bounds of file.find.
const (
	DefaultFindLimit = 10000
	MaxFindLimit     = 1000000
)

func findSpec() ops.Spec {
	return ops.Spec{
		Name: "file.find",
		Description: "Find files under a directory by name pattern (glob, ** for any depth, or a list of globs), age, size, type and name regex. " +
			"Symlinks are listed, never followed. Returns the paths (sorted), how many matched and their total size, capped at limit.",
		Risk: ops.RiskRead,
		Params: []ops.Param{
			{Name: "path", Type: ops.TypeString, Required: true, MaxLen: 4096, Path: ops.PathInRoots, Description: "the directory to search; it must lie inside the allowed roots"},
			{Name: "pattern", Type: ops.TypeAny, Description: "a glob or a list of globs matched against the path relative to path: *.log, **/*.tmp, cache/**; default every entry"},
			{Name: "older_than", Type: ops.TypeDuration, Min: ops.Bound(0), Description: "only entries last modified longer ago than this, like 7d or 12h"},
			{Name: "newer_than", Type: ops.TypeDuration, Min: ops.Bound(0), Description: "only entries modified within this, like 1h"},
			{Name: "min_size", Type: ops.TypeInteger, Min: ops.Bound(0), Description: "only files of at least this many bytes"},
			{Name: "max_size", Type: ops.TypeInteger, Min: ops.Bound(0), Description: "only files of at most this many bytes"},
			{Name: "type", Type: ops.TypeString, Default: "file", Enum: []any{"file", "dir", "symlink", "any"}, Description: "the kind of entry"},
			{Name: "name_regex", Type: ops.TypeString, MaxLen: 1024, Description: "only entries whose base name matches this regular expression (RE2)"},
			{Name: "limit", Type: ops.TypeInteger, Default: DefaultFindLimit, Min: ops.Bound(1), Max: ops.Bound(MaxFindLimit), Description: "the most paths returned; count and bytes still cover every match"},
		},
		Output: []ops.Field{
			{Name: "paths", Type: "list", Description: "absolute paths of the matches, sorted, at most limit"},
			{Name: "count", Type: "integer", Description: "how many entries matched"},
			{Name: "bytes", Type: "integer", Description: "the total size of the matching files"},
			{Name: "truncated", Type: "bool", Description: "true when more matched than limit"},
		},
	}
}

// ValidateParams checks the patterns and the regex.
func (*Find) ValidateParams(p ops.Params, _ bool) error {
	var errs ops.ParamErrors
	if err := checkPath(p); err != nil {
		errs = append(errs, err.(*ops.ParamError))
	}
	if p.Known("pattern") {
		if _, err := patterns(p["pattern"]); err != nil {
			errs = append(errs, &ops.ParamError{Param: "pattern", Msg: err.Error()})
		}
	}
	if p.Known("name_regex") {
		if _, err := regexp.Compile(p.String("name_regex")); err != nil {
			errs = append(errs, &ops.ParamError{Param: "name_regex", Msg: fmt.Sprintf("not a valid regular expression: %v", err)})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// patterns reads pattern: one glob or a list of them.
func patterns(v any) ([]string, error) {
	var list []string
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		list = []string{x}
	case []any:
		for i, it := range x {
			s, ok := it.(string)
			if !ok {
				return nil, fmt.Errorf("item %d: want a glob string, got %s", i, ops.TypeName(it))
			}
			list = append(list, s)
		}
	default:
		return nil, fmt.Errorf("want a glob or a list of globs, got %s", ops.TypeName(v))
	}
	for _, g := range list {
		if g == "" {
			return nil, errors.New("a pattern is empty")
		}
		if _, err := path.Match(strings.ReplaceAll(g, "**", "*"), ""); err != nil {
			return nil, fmt.Errorf("%q is not a valid glob: %v", g, err)
		}
	}
	return list, nil
}

// globMatch matches a slash-separated relative path against a glob where
// ** matches any number of path elements (including none) and the other
// wildcards match within one element. A pattern without a slash matches
// the base name at any depth, as find -name does.
func globMatch(pattern, rel string) bool {
	if !strings.Contains(pattern, "/") && pattern != "**" {
		ok, _ := path.Match(pattern, path.Base(rel))
		return ok
	}
	return matchParts(strings.Split(pattern, "/"), strings.Split(rel, "/"))
}

func matchParts(pat, parts []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			rest := pat[1:]
			for i := 0; i <= len(parts); i++ {
				if matchParts(rest, parts[i:]) {
					return true
				}
			}
			return false
		}
		if len(parts) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], parts[0]); !ok {
			return false
		}
		pat, parts = pat[1:], parts[1:]
	}
	return len(parts) == 0
}

// Execute walks the directory inside its root.
func (*Find) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	dir := p.String("path")
	t, err := open(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	if st, err := t.root.Stat(t.rel); err != nil {
		return nil, policy.Classify(ctx, err, dir, policy.Roots(ctx))
	} else if !st.IsDir() {
		return nil, ops.Errorf(ops.ClassExecution, "%s is not a directory; file.find searches a directory (use file.stat for one file)", dir)
	}
	globs, _ := patterns(p["pattern"])
	var re *regexp.Regexp
	if p.Known("name_regex") {
		re = regexp.MustCompile(p.String("name_regex"))
	}
	now := time.Now()
	kind, limit := p.String("type"), p.Int("limit")
	_, hasMin := p["min_size"]
	_, hasMax := p["max_size"]
	var found []string
	count, bytes := 0, int64(0)
	fsys := t.root.FS()
	skipped := policy.Walked(t.abs)
	err = fs.WalkDir(fsys, filepath.ToSlash(t.rel), func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			if name == filepath.ToSlash(t.rel) {
				return err
			}
			return nil // an unreadable subdirectory is skipped, like find does with a warning
		}
		if cerr := ctx.Err(); cerr != nil {
			return context.Cause(ctx)
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(name, filepath.ToSlash(t.rel)), "/")
		if rel == "" {
			return nil // the directory itself
		}
		if skipped(filepath.FromSlash(rel)) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		switch kind {
		case "file":
			if !d.Type().IsRegular() {
				return nil
			}
		case "dir":
			if !d.IsDir() {
				return nil
			}
		case "symlink":
			if d.Type()&fs.ModeSymlink == 0 {
				return nil
			}
		}
		if len(globs) > 0 {
			ok := false
			for _, g := range globs {
				if globMatch(g, rel) {
					ok = true
					break
				}
			}
			if !ok {
				return nil
			}
		}
		if re != nil && !re.MatchString(d.Name()) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil // gone since it was listed
		}
		age := now.Sub(info.ModTime())
		if p.Known("older_than") && age <= p.Duration("older_than") {
			return nil
		}
		if p.Known("newer_than") && age >= p.Duration("newer_than") {
			return nil
		}
		size := info.Size()
		if hasMin && (!info.Mode().IsRegular() || size < int64(p.Int("min_size"))) {
			return nil
		}
		if hasMax && (!info.Mode().IsRegular() || size > int64(p.Int("max_size"))) {
			return nil
		}
		count++
		if info.Mode().IsRegular() {
			bytes += size
		}
		if len(found) < limit {
			found = append(found, filepath.Join(t.abs, filepath.FromSlash(rel)))
		}
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return nil, policy.Classify(ctx, err, dir, policy.Roots(ctx))
	}
	sort.Strings(found)
	paths := make([]any, len(found))
	for i, f := range found {
		paths[i] = f
	}
	return map[string]any{"paths": paths, "count": count, "bytes": bytes, "truncated": count > len(found)}, nil
}
