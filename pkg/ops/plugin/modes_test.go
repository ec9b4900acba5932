package plugin_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/plugin"
)

const hiManifest = "version: 1\nname: acme.hi\ncategory: acme\ndescription: Say hi.\nrisk: read\ncommand: [./hi.prog]\n"

// TestWorldWritableRefused: a plugin directory, manifest or program that
// every user of the host may write lets any of them add or change an
// operation run with the loader's rights: refused, with the chmod that
// fixes it, as a world-writable policy or keys file is.
func TestWorldWritableRefused(t *testing.T) {
	for _, c := range []struct{ name, what, want string }{
		{"directory", ".", "plugin directory's mode 0777"},
		{"manifest", "hi.yaml", "manifest's mode 0666"},
		{"program", "hi.prog", "mode 0777 lets every user"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "plugins")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			write(t, dir, "hi.prog", "#!/bin/sh\necho '{}'\n", 0o755)
			write(t, dir, "hi.yaml", hiManifest, 0o644)
			target := filepath.Join(dir, c.what)
			fi, err := os.Stat(target)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(target, fi.Mode().Perm()|0o022); err != nil {
				t.Fatal(err)
			}
			r := ops.NewRegistry()
			err = plugin.Load(dir, r, plugin.Options{})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "chmod go-w") {
				t.Fatalf("Load = %v; want %q and the chmod that fixes it", err, c.want)
			}
			if _, gerr := r.Get("acme.hi"); gerr == nil {
				t.Error("acme.hi registered anyway")
			}
		})
	}
}
