package plugin_test

import (
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/plugin"
)

// TestDescriptionNamesTheManifestNotItsPath: an operation's description,
// which serve gives every API key, names its plugin's manifest file, not
// where on the host it lies.
func TestDescriptionNamesTheManifestNotItsPath(t *testing.T) {
	dir := t.TempDir()
	addPlugin(t, dir, "greet", strings.Replace(greetPy, "PYTHON", python(t), 1), greetManifest)
	reg := registry(t, dir, plugin.Options{})
	e, _ := reg.Get("acme.greet")
	if d := e.Spec.Description; strings.Contains(d, dir) || !strings.HasSuffix(d, " (plugin: greet.yaml)") {
		t.Errorf("description %q: want it to end (plugin: greet.yaml), without the directory", d)
	}
}
