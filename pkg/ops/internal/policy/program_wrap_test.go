package policy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestSwappableProgramThroughWrappers: a program or script another user
// (mallory) could swap is refused when a wrapper starts it (sudo, env,
// timeout, nice, ionice, flock, setsid, stdbuf, chrt, taskset, runuser,
// nsenter, systemd-run, setpriv, prlimit, nested too), judged in the
// directory a wrapper moves to and under the root chroot or sudo -R
// makes; root's own files in 0755 directories are not.
func TestSwappableProgramThroughWrappers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to play another user")
	}
	const mallory = 1001
	dir := t.TempDir()
	drop := filepath.Join(dir, "drop")
	mine := filepath.Join(dir, "mine")
	for _, d := range []string{drop, mine} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(drop, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	file := func(p string) string {
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tool, script := file(filepath.Join(drop, "tool")), file(filepath.Join(drop, "x.sh"))
	for _, p := range []string{tool, script} {
		if err := os.Chown(p, mallory, mallory); err != nil {
			t.Fatal(err)
		}
	}
	myTool, myScript := file(filepath.Join(mine, "tool")), file(filepath.Join(mine, "x.sh"))

	daemon := ops.WithCall(context.Background(), &ops.Call{RefuseSwappable: true})
	const program, bashScript = "command: the program is in ", "command: bash's script is in "
	refused := []struct {
		argv []string
		want string
	}{
		{[]string{"sudo", "bash", script}, bashScript + drop},
		{[]string{"sudo", "-u", "app", tool}, program + drop},
		{[]string{"env", "FOO=1", "python3", script}, "command: python3's script is in " + drop},
		{[]string{"timeout", "10", tool}, program + drop},
		{[]string{"timeout", "-s", "KILL", "--", "10", tool}, program + drop},
		{[]string{"nice", "-n", "5", "bash", script}, bashScript + drop},
		{[]string{"ionice", "-c3", tool}, program + drop},
		{[]string{"flock", "/run/lock/x", tool}, program + drop},
		{[]string{"setsid", tool}, program + drop},
		{[]string{"stdbuf", "-oL", "bash", "-e", script}, bashScript + drop},
		{[]string{"chrt", "-f", "10", tool}, program + drop},
		{[]string{"taskset", "-c", "0", tool}, program + drop},
		{[]string{"sudo", "env", "X=1", "bash", script}, bashScript + drop},
		{[]string{"/usr/bin/nice", "/usr/bin/sudo", "-E", tool, "--now"}, program + drop},
		{[]string{"env", "-C", drop, "bash", "x.sh"}, bashScript + drop},
		{[]string{"sudo", "--chdir", dir, "env", "-C", "drop", "./tool"}, program + drop},
		{[]string{filepath.Join(drop, "tool"), "bash", myScript}, program + drop},
		{[]string{"sudo", "-u", "app", "RAILS_ENV=production", tool}, program + drop},
		{[]string{"env", "-", "PATH=/usr/bin:/bin", "bash", script}, bashScript + drop},
		{[]string{"env", "-i", "--", "PATH=/usr/bin:/bin", "bash", script}, bashScript + drop},
		{[]string{"runuser", "-u", "app", "--", tool}, program + drop},
		{[]string{"nsenter", "-t", "1", "-m", "-u", tool}, program + drop},
		{[]string{"systemd-run", "--wait", "-p", "User=app", "bash", script}, bashScript + drop},
		{[]string{"setpriv", "--reuid=1000", "--clear-groups", tool}, program + drop},
		{[]string{"prlimit", "--nofile=1024", tool}, program + drop},
		{[]string{"chroot", dir, "/drop/tool"}, program + drop},
		{[]string{"chroot", dir, "bash", "drop/x.sh"}, bashScript + drop},
		{[]string{"sudo", "-R", dir, "/drop/tool"}, program + drop},
		{[]string{"env", "-C", drop, "chroot", "--skip-chdir", "/", "./tool"}, program + drop},
		{[]string{"env", "-C", drop, "chroot", "--skip", "/", "bash", "x.sh"}, bashScript + drop},
		{[]string{"nsenter", "-t", "1", "-m", "-r" + dir, "/drop/tool"}, program + drop},
		{[]string{"nsenter", "--root=" + dir, "--", "bash", "/drop/x.sh"}, bashScript + drop},
		{[]string{"unshare", "-m", "-p", "-f", tool}, program + drop},
		{[]string{"php", script}, "command: php's script is in " + drop},
		{[]string{"sudo", "php8.2", "-d", "x=1", "-f", script}, "command: php8.2's script is in " + drop},
		{[]string{"ruby", "-C", drop, "x.sh"}, "command: ruby's script is in " + drop},
		{[]string{"node", "--env-file", myScript, script}, "command: node's script is in " + drop},
		{[]string{"awk", "-f", script, "data"}, "command: awk's script is in " + drop},
		{[]string{"sed", "-n", "-f", script, "data"}, "command: sed's script is in " + drop},
		{[]string{"bash", "--rcfile", script, "-i"}, bashScript + drop},
		{[]string{"sudo", "--us", "app", "--chd", drop, "./tool"}, program + drop},
		{[]string{"gawk", "--fil=" + script, "data"}, "command: gawk's script is in " + drop},
		{[]string{"sed", "-n", "--fi", script, "data"}, "command: sed's script is in " + drop},
		{[]string{"sed", "s/a/b/", "data", "-f", script}, "command: sed's script is in " + drop},
		{[]string{"watch", "-n", "5", tool}, program + drop},
		{[]string{"watch", "-d", "bash", "-e", script, "--now"}, bashScript + drop},
		{[]string{"watch", "LANG=C " + tool + " -v"}, program + drop},
		{[]string{"watch", "PATH=/usr/bin:/bin LANG=C " + tool}, program + drop},
		{[]string{"watch", "-n", "5", "KUBECONFIG=/etc/k.conf", "bash", script}, bashScript + drop},
		{[]string{"watch", "-x", "--", tool}, program + drop},
		{[]string{"env", "-C", drop, "watch", "./tool"}, program + drop},
		{[]string{"chroot", dir, "watch", "-n", "5", "/drop/tool"}, program + drop},
		{[]string{"chroot", dir, "watch", "bash /drop/x.sh"}, bashScript + drop},
		{[]string{"chroot", dir, "watch", "-x", "/drop/tool"}, program + drop},
		{[]string{"su", "-", "app", script}, "command: su's script is in " + drop},
		{[]string{"su", "-s", tool, "app"}, "command: the shell su -s runs is in " + drop},
		{[]string{"sudo", "su", "app", "--shell=" + tool, "-c", "id"}, "command: the shell su -s runs is in " + drop},
		{[]string{"runuser", "-s" + tool, "app", myScript}, "command: the shell runuser -s runs is in " + drop},
		{[]string{"runuser", "-s", "/bin/bash", "app", "--", "-e", script}, "command: runuser's script is in " + drop},
		{[]string{"flock", "LOCK", "-c", script}, program + drop},
		{[]string{"flock", "-w", "10", "LOCK", "-c", script + " arg"}, program + drop},
		{[]string{"sudo", "flock", "LOCK", "--command", "LANG=C bash " + script}, bashScript + drop},
		{[]string{"su", "app", "-c", script}, program + drop},
		{[]string{"su", "-s", tool, "app", "-c", "id"}, "command: the shell su -s runs is in " + drop},
		{[]string{"runuser", "app", "-c", "bash " + script}, bashScript + drop},
		{[]string{"script", "-qc", script, "/dev/null"}, program + drop},
		{[]string{"sg", "grp", script}, program + drop},
		{[]string{"sg", "grp", "-c", tool + " -v"}, program + drop},
		{[]string{"chroot", dir, "flock", "LOCK", "-c", "/drop/tool"}, program + drop},
		{[]string{"sudo", "sh", "-c", script}, program + drop},
		{[]string{"bash", "-eo", "pipefail", "-c", "set -x\nbash " + script + " --now"}, bashScript + drop},
		{[]string{"sh", "-ec", "LANG=C " + tool}, program + drop},
		{[]string{"env", "-C", drop, "su", "-s", "tool", "app", "-c", "id"}, "command: the shell su -s runs is in " + drop},
		{[]string{"env", "--chdir=" + drop, "runuser", "--shell=tool", "app"}, "command: the shell runuser -s runs is in " + drop},
		{[]string{"sh", "-c", "set -e\n. " + script}, "command: the script . runs is in " + drop},
		{[]string{"bash", "-c", "source " + script + " --now"}, "command: the script source runs is in " + drop},
		{[]string{"sh", "-c", "if " + tool + "\nthen\n  LANG=C bash " + script + "\nfi"}, program + drop},
		{[]string{"sh", "-c", "if true\nthen\n  LANG=C bash " + script + "\nfi"}, bashScript + drop},
		{[]string{"sh", "-c", "while true\ndo " + tool + "\ndone"}, program + drop},
		{[]string{"bash", "-c", "builtin exec " + tool}, program + drop},
		{[]string{"sh", "-c", "eval " + tool}, program + drop},
		{[]string{"sh", "-c", "! " + tool}, program + drop},
		{[]string{"sh", "-c", "if ! " + tool + " --check\nthen exit 1\nfi"}, program + drop},
		{[]string{"sh", "-c", "while ! bash " + script + "\ndo sleep 1\ndone"}, bashScript + drop},
		{[]string{"su", "app", "-c" + script}, program + drop},
		{[]string{"su", "app", "--command=" + script}, program + drop},
		{[]string{"runuser", "app", "--comm=bash " + script}, bashScript + drop},
		{[]string{"script", "-q", "--command=" + script, "/dev/null"}, program + drop},
		{[]string{"script", "-qc" + tool, "/dev/null"}, program + drop},
	}
	for _, tc := range refused {
		err := SwappableProgram(daemon, "command", tc.argv, mine)
		if err == nil || ops.ClassOf(err) != ops.ClassValidation || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "owned by user 1001") {
			t.Errorf("%q in a daemon's run: %v; want it refused: %q, owned by user 1001", tc.argv, err, tc.want)
		}
	}
	for _, argv := range [][]string{
		{"env", "-S", "bash " + script},
		{"sudo", "env", "--split-string=bash " + myScript},
		{"env", "--sp", "bash " + script},
	} {
		err := SwappableProgram(daemon, "command", argv, mine)
		if err == nil || ops.ClassOf(err) != ops.ClassValidation || !strings.HasPrefix(err.Error(), "command: env -S splits") || !strings.Contains(err.Error(), "as items of command") {
			t.Errorf("%q in a daemon's run: %v; want it refused: env -S splits …, write … as items of command", argv, err)
		}
	}
	for _, argv := range [][]string{
		{"sudo", "bash", myScript},
		{"sudo", "-u", "app", myTool},
		{"env", "FOO=1", "python3", "x.sh"},
		{"timeout", "10", "./tool"},
		{"nice", "-n", "5", "bash", "x.sh"},
		{"ionice", "-c3", myTool},
		{"flock", "LOCK", myTool},
		{"flock", "LOCK", "-c", myScript + " arg"},
		{"flock", "LOCK", "-c", "systemctl restart app"},
		{"flock", "LOCK", "-c", script + " | tee log"},
		{"su", "app", "-c", "id"},
		{"su", "app", "-c", myScript},
		{"script", "-qc", "make test", "/dev/null"},
		{"sg", "docker", "docker ps"},
		{"sg", "grp", "-c", "bash " + myScript},
		{"setsid", myTool},
		{"stdbuf", "-oL", myTool},
		{"chrt", "-f", "10", myTool},
		{"taskset", "0x3", myTool},
		{"sudo", "env", "X=1", "bash", "x.sh"},
		{"env", "-C", mine, "bash", "x.sh"},
		{"sudo", "apt-get", "install", script},
		{"sudo", "sh", "-c", myScript},
		{"sh", "-c", script + " | tee log"},
		{"sh", "-c", ". " + myScript + "\nsource lib.sh\nif " + myTool + "\nthen\n  eval\nfi"},
		{"sh", "-c", "if ! " + myTool + "\nthen\n  echo down!\nfi"},
		{"sudo", "LANG=C", myTool},
		{"runuser", "-u", "app", "--", myTool},
		{"runuser", "app", "-c", "systemctl restart app"},
		{"runuser", "app", "-c", "echo", script},
		{"su", "app", myScript},
		{"su", "-s", "/bin/bash", "app", "-c", "id"},
		{"su", "-s", myTool, "app"},
		{"runuser", "--shell", "bash", "app", "-c", "id"},
		{"chroot", dir, "/mine/tool"},
		{"chroot", dir, "bash", "mine/x.sh"},
		{"chroot", "--skip-chdir", "/", "./tool"},
		{"nsenter", "-t", "1", "-m", "bash", myScript},
		{"nsenter", "-t", "1", "-m", "-r" + dir, "/mine/tool"},
		{"nsenter", "-t", "1", "-a", "-r", myTool},
		{"systemd-run", "--wait", myTool},
		{"setpriv", "--reuid=1000", myTool},
		{"prlimit", "-n1024", myTool},
		{"php", "-r", "echo 1;", script},
		{"php", "-f", myScript, script},
		{"env", "-C", drop, "perl", "-lane", "print $F[0]", "data"},
		{"env", "-C", drop, "ruby", "-lne", "puts $_", "data"},
		{"php", "--file", myScript, "--", script},
		{"ruby", "-C", mine, "x.sh"},
		{"ruby", "-C", drop, myScript},
		{"node", "--env-file", script, "x.sh"},
		{"awk", "-F", script, "{ print }", script},
		{"sed", "-e", "s/a/b/", script},
		{"sed", "-e", "s/a/b/", "--", "-f", script},
		{"watch", "-n", "5", "df", "-h"},
		{"watch", "bash", myScript},
		{"chroot", dir, "watch", "-n", "5", "/mine/tool"},
		{"chroot", dir, "watch", "bash mine/x.sh"},
		{"watch", "-x", myTool, "-n"},
		{"watch", "kubectl get pods | grep -v Running"},
	} {
		if err := SwappableProgram(daemon, "command", argv, mine); err != nil {
			t.Errorf("%q in a daemon's run: %v", argv, err)
		}
	}
}

// TestPlainWords: the words of a plain command watch runs with sh -c
// start at its program, past the NAME=value words before it, whose value
// may hold a / (PATH=/usr/bin); a word whose name holds one is a program.
func TestPlainWords(t *testing.T) {
	for text, want := range map[string]string{
		"LANG=C /srv/x -v":              "/srv/x -v",
		"PATH=/usr/bin:/bin LANG=C ./x": "./x",
		"KUBECONFIG=/etc/k.conf bash x": "bash x",
		"/opt/a=b/run x":                "/opt/a=b/run x",
		"1X=/a ./x":                     "1X=/a ./x",
		"_X=1 ./x":                      "./x",
		"df -h":                         "df -h",
	} {
		words, plain := plainWords(text)
		if got := strings.Join(words, " "); !plain || got != want {
			t.Errorf("plainWords(%q) = %q, %v; want %q", text, got, plain, want)
		}
	}
}
