package cli

import (
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/plugin"
)

// addPluginsFlag adds --plugins to a command that loads the operations.
func (e *env) addPluginsFlag(fs *flag.FlagSet) {
	fs.StringVar(&e.plugins, "plugins", "", "load plugin operations from the manifests in `DIR` (default $ARSENAL_PLUGINS, else $XDG_CONFIG_HOME/arsenal-run/plugins)")
}

// pluginDir is where plugin manifests are read from, and whether the
// user named it (then it must exist).
func (e *env) pluginDir() (string, bool) {
	if e.plugins != "" {
		return e.plugins, true
	}
	if d := e.getenv("ARSENAL_PLUGINS"); d != "" {
		return d, true
	}
	if d := e.getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "arsenal-run", "plugins"), false
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".config", "arsenal-run", "plugins"), false
	}
	return "", false
}

// loadPlugins registers the plugin operations on r. Problems in the
// manifests are printed with their positions and stop the command (exit 2):
// a playbook must not run with a plugin half understood.
func (e *env) loadPlugins(r *ops.Registry) int {
	hint, err := e.addPlugins(r)
	if err == nil {
		return ExitOK
	}
	var ds yamlx.Diagnostics
	if errors.As(err, &ds) {
		e.problems(ds, hint)
		return ExitUsage
	}
	e.errorf("%v", err) // "plugins: ..."
	return ExitUsage
}

// addPlugins registers the plugin operations on r and returns what
// stops them: the manifests' problems as yamlx.Diagnostics, with the line
// that says what to do about them, or another error, which says it.
func (e *env) addPlugins(r *ops.Registry) (hint string, err error) {
	dir, named := e.pluginDir()
	if dir == "" {
		return "", nil
	}
	// A step that rewrote a manifest would choose what the next start
	// runs; one that made the directory, what the next start loads.
	fsroot.Protect(dir, "plugins dir")
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		if named {
			from := "give --plugins the directory that holds them"
			if e.plugins == "" {
				from = "set $ARSENAL_PLUGINS to the directory that holds them, or unset it"
			}
			return "", fmt.Errorf("plugins: %s is not a directory of plugin manifests; %s", dir, from)
		}
		return "", nil
	}
	if e.daemon {
		e.pluginsRead = readManifests(dir)
	}
	if err := plugin.Load(dir, r, plugin.Options{}); err != nil {
		return fmt.Sprintf("the plugins in %s have problems; fix them or move them out of the directory", dir), err
	}
	return "", nil
}

// manifests are the plugin manifests of a directory as loadPlugins read
// them: file name to SHA-256.
type manifests struct {
	dir  string
	sums map[string][sha256.Size]byte
}

// readManifests reads dir's manifests as plugin.Load finds them; a file
// that cannot be read counts with an empty content.
func readManifests(dir string) manifests {
	m := manifests{dir: dir, sums: map[string][sha256.Size]byte{}}
	files, _ := plugin.Manifests(dir)
	for _, f := range files {
		b, _ := fsx.ReadFile(f, plugin.MaxManifestSize) // never waits on a FIFO
		m.sums[filepath.Base(f)] = sha256.Sum256(b)
	}
	return m
}

// pluginsChanged says, for a daemon's SIGHUP, which plugin manifests were
// added, changed or removed since it loaded them at start, and that they
// take effect only on a restart (the operations a running daemon serves
// do not change under it); "" when none did.
func (e *env) pluginsChanged() string {
	was := e.pluginsRead
	if was.dir == "" {
		return ""
	}
	now := readManifests(was.dir)
	var added, changed, removed []string
	for name, sum := range now.sums {
		old, ok := was.sums[name]
		switch {
		case !ok:
			added = append(added, name)
		case old != sum:
			changed = append(changed, name)
		}
	}
	for name := range was.sums {
		if _, ok := now.sums[name]; !ok {
			removed = append(removed, name)
		}
	}
	var parts []string
	for _, c := range []struct {
		what  string
		names []string
	}{{"added", added}, {"changed", changed}, {"removed", removed}} {
		if len(c.names) > 0 {
			slices.Sort(c.names)
			parts = append(parts, c.what+" "+strings.Join(c.names, ", "))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("the plugin manifests in %s changed since the start (%s), and plugins are read only at start: "+
		"restart to use them; until then the operations stay as they were loaded", was.dir, strings.Join(parts, "; "))
}
