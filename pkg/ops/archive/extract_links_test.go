package archive

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExtractRefusesASymlinkChainLeadingOut: a symlink whose target is
// inside the destination as text but, followed through another of the
// archive's symlinks, leads outside it is refused, whatever the order of
// the two in the archive; so is a loop.
func TestExtractRefusesASymlinkChainLeadingOut(t *testing.T) {
	for _, format := range []string{"tar.gz", "zip"} {
		t.Run(format, func(t *testing.T) {
			e := newEnv(t)
			write(t, e.out, map[string]string{"secret": "outside"})
			members := []member{
				{name: "m", typ: tar.TypeSymlink, link: "a/b/l/../../../outside/secret"}, // as text: dest/outside/secret
				{name: "e/", typ: tar.TypeDir},
				{name: "a/b/", typ: tar.TypeDir},
				{name: "a/b/l", typ: tar.TypeSymlink, link: "../../e"}, // -> dest/e
			}
			var data []byte
			if format == "zip" {
				data = zipOf(t, members...)
			} else {
				data = tarGz(t, members...)
			}
			if err := os.WriteFile(filepath.Join(e.root, "a."+format), data, 0o644); err != nil {
				t.Fatal(err)
			}
			// dest is root/x; dest/e/../../.. is the parent of the root, where "outside" lives.
			_, err := e.run("archive.extract", map[string]any{"src": "a." + format, "dest": "x"})
			if err == nil {
				b, rerr := os.ReadFile(filepath.Join(e.root, "x", "m"))
				t.Fatalf("extracted; dest/m resolves outside dest and the roots: read %q (%v)", b, rerr)
			}
			if !strings.Contains(err.Error(), "outside the destination through the archive's other symlinks") {
				t.Errorf("error %v", err)
			}
		})
	}
	x := &extractor{links: map[string]string{"p": "q", "q": "p", "in": "d/f", "up": "d/../f"}}
	for name, want := range map[string]bool{"p": true, "in": false, "up": false} {
		if got := x.escapes(name, x.links[name]); got != want {
			t.Errorf("escapes(%s -> %s) = %v, want %v", name, x.links[name], got, want)
		}
	}
}
