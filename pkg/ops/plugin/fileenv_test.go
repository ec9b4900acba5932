package plugin_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
	"github.com/arsenal-run/arsenal-run/pkg/ops/plugin"
)

// TestDaemonJudgesTheEnvFilesPathItPasses: a plugin whose manifest passes
// PATH on gets the run's env file's PATH when the host's environment sets
// none (an API run of serve without --env-passthrough); under
// RefuseSwappable a directory of it every user may write is refused, as
// in a shell step, naming the env file's line, and nothing runs. A PATH
// the manifest does not pass on is not the plugin's and is not judged.
func TestDaemonJudgesTheEnvFilesPathItPasses(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to judge a directory as another user would see it")
	}
	drop := filepath.Join(t.TempDir(), "drop")
	if err := os.Mkdir(drop, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(drop, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	fileEnv := []string{"PATH=" + drop + ":/usr/bin:/bin"}
	ctx := ops.WithCall(context.Background(), &ops.Call{RunID: "run-1", Environ: fileEnv, FileEnv: fileEnv,
		FileEnvAt: func(string) string { return "/books/.env:1" }, RefuseSwappable: true})
	for _, tc := range []struct{ env, want string }{
		{"env: [PATH]\n", "plugin acme.t: env_file /books/.env:1 PATH: a directory of PATH's mode 1777"},
		{"", ""},
	} {
		dir := t.TempDir()
		ran := filepath.Join(dir, "ran")
		addPlugin(t, dir, "t", "#!/bin/sh\nread -r req\ntouch "+ran+"\necho '{}'\n",
			"version: 1\nname: acme.t\ncategory: acme\ndescription: A test.\nrisk: read\ncommand: [./t.prog]\n"+tc.env)
		_, err := opstest.Execute(registry(t, dir, plugin.Options{}), ctx, "acme.t", nil)
		_, statErr := os.Stat(ran)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.env, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || statErr == nil):
			t.Errorf("%q: error %v (ran: %v); want it refused: %s", tc.env, err, statErr == nil, tc.want)
		}
	}
}
