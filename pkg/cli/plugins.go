package cli

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

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
	dir, named := e.pluginDir()
	if dir == "" {
		return ExitOK
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		if named {
			e.errorf("plugins: %s is not a directory of plugin manifests", dir)
			return ExitUsage
		}
		return ExitOK
	}
	err := plugin.Load(dir, r, plugin.Options{})
	if err == nil {
		return ExitOK
	}
	var ds yamlx.Diagnostics
	if errors.As(err, &ds) {
		fmt.Fprintln(e.stderr, ds)
		fmt.Fprintf(e.stderr, "the plugins in %s have problems; fix them or move them out of the directory\n", dir)
		return ExitUsage
	}
	e.errorf("plugins: %v", err)
	return ExitUsage
}
