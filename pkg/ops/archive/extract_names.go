package archive

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
)

// The names and symlinks of an archive's entries: what they may say, and
// where a link leads once it is made.

// checkName cleans an entry's name and refuses those that could land
// outside the destination.
func checkName(raw string) (string, error) {
	switch {
	case raw == "":
		return "", errors.New("an entry has an empty name")
	case strings.IndexByte(raw, 0) >= 0:
		return "", fmt.Errorf("entry %q has a NUL byte in its name", raw)
	case strings.Contains(raw, `\`):
		return "", fmt.Errorf("entry %q has a backslash in its name, which is not a path separator here and may be one elsewhere", raw)
	case strings.HasPrefix(raw, "/"), len(raw) >= 2 && raw[1] == ':' && (raw[0]|0x20 >= 'a' && raw[0]|0x20 <= 'z'):
		return "", fmt.Errorf("entry %q has an absolute name", raw)
	case len(raw) > 4096:
		return "", fmt.Errorf("entry %.40q... has a name longer than 4096 bytes", raw)
	}
	for _, el := range strings.Split(raw, "/") {
		if el == ".." {
			return "", fmt.Errorf("entry %q leads outside the destination through ..", raw)
		}
	}
	name := path.Clean(raw)
	if name == "." {
		return ".", nil
	}
	return name, nil
}

// checkLink refuses a symlink whose target is absolute or leads outside the
// destination from where the link stands.
func checkLink(name, link string) error {
	switch {
	case link == "":
		return fmt.Errorf("symlink %q has an empty target", name)
	case len(link) > maxLink:
		return fmt.Errorf("symlink %q has a target longer than %d bytes", name, maxLink)
	case strings.IndexByte(link, 0) >= 0:
		return fmt.Errorf("symlink %q has a NUL byte in its target", name)
	case strings.HasPrefix(link, "/") || strings.Contains(link, `\`):
		return fmt.Errorf("symlink %q points to the absolute path %q; only relative links inside the destination are extracted", name, link)
	}
	to := path.Join(path.Dir(name), link)
	if to == ".." || strings.HasPrefix(to, "../") {
		return fmt.Errorf("symlink %q points to %q, outside the destination", name, link)
	}
	return nil
}

// maxLinkHops bounds the symlinks one target may be followed through, as
// the kernel's own limit (40 on Linux) does; past it, a loop is refused.
const maxLinkHops = 40

// checkLinks refuses, once the dry pass has seen every entry, a symlink
// whose target leads outside the destination when the kernel follows it
// through the archive's other symlinks: checkLink alone reads a target as
// text, and a -> x/../.. with x -> d/e inside is inside as text only.
// All of the archive's links are known here, whatever their order in it.
func (x *extractor) checkLinks() error {
	names := make([]string, 0, len(x.links))
	for n := range x.links {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if x.escapes(n, x.links[n]) {
			return fmt.Errorf("symlink %q points to %q, which leads outside the destination through the archive's other symlinks", n, x.links[n])
		}
	}
	return nil
}

// escapes follows link from the directory of the symlink name as the
// kernel would, through the archive's symlinks, and reports whether it
// leaves the destination (or loops).
func (x *extractor) escapes(name, link string) bool {
	var at []string // the directories from the destination down
	if d := path.Dir(name); d != "." {
		at = strings.Split(d, "/")
	}
	rest := strings.Split(link, "/") // the components still to follow
	hops := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(at) == 0 {
				return true
			}
			at = at[:len(at)-1]
			continue
		}
		at = append(at, c)
		if t, ok := x.links[strings.Join(at, "/")]; ok {
			if hops++; hops > maxLinkHops {
				return true
			}
			at = at[:len(at)-1]
			rest = append(strings.Split(t, "/"), rest...)
		}
	}
	return false
}

// checkRealLink refuses a symlink entry whose target, followed from the
// link's directory as it exists in dest, leads outside dest or to a
// protected path. checkLink and skipped read the target as text from the
// entry's name, but a directory on the way may be a symlink already in
// dest (y -> . an earlier archive left), which os.Root follows since it
// stays inside: y/l -> ../st is then made as l -> ../st, one level higher
// than it reads.
func (x *extractor) checkRealLink(e *entry, fsName string) error {
	dir := fsroot.Resolved(filepath.Join(x.dest, filepath.Dir(fsName)))
	to := filepath.Join(dir, filepath.FromSlash(e.link))
	if fsroot.Guard(to) != nil {
		return x.denied("symlink %q points to %q, which through the symlinks already in the destination leads to a path of arsenal-run's that no file operation touches (its state dir, policy or keys file)", e.name, e.link)
	}
	if !inside(to, fsroot.Resolved(x.dest)) {
		return fmt.Errorf("symlink %q points to %q, which leads outside the destination through the symlinks already in it", e.name, e.link)
	}
	return nil
}

// inside reports whether the absolute path p is dir or lies under it.
func inside(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
