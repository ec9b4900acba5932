package plugin_test

import (
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/plugin"
)

// TestTimeoutWithoutUnit: a timeout written as a bare number, or in days,
// is told what to write instead, at its position.
func TestTimeoutWithoutUnit(t *testing.T) {
	for _, tc := range []struct{ timeout, want string }{
		{"30", "p.yaml:7:10: timeout: 30 has no unit; write it with one, like 30s or 30m"},
		{"1.5", "p.yaml:7:10: timeout: 1.5 has no unit; write it with one, like 1.5s or 1.5m"},
		{"1d", `p.yaml:7:10: timeout: "1d" is not a duration here, where days and weeks are no unit; write 24h`},
	} {
		data := "version: 1\nname: acme.p\ncategory: acme\ndescription: A test.\nrisk: read\ncommand: [/bin/sh]\ntimeout: " + tc.timeout + "\n"
		_, err := plugin.ParseManifest("p.yaml", []byte(data))
		if err == nil || err.Error() != tc.want {
			t.Errorf("timeout: %s: got %v, want %s", tc.timeout, err, tc.want)
		}
	}
}
