package wrapper

import (
	"slices"
	"testing"
)

// TestPrograms: the programs of a command line are its first item and,
// through each wrapper, the first item past the wrapper's options, their
// values and its operands, with the directory a wrapper moved to.
func TestPrograms(t *testing.T) {
	tests := []struct {
		argv []string
		at   []int
		dir  string // of the last
	}{
		{[]string{"sed", "-n", "p"}, []int{0}, ""},
		{[]string{"sudo", "bash", "/tmp/x.sh"}, []int{0, 1}, ""},
		{[]string{"sudo", "-u", "app", "/tmp/tool"}, []int{0, 3}, ""},
		{[]string{"sudo", "-uapp", "-E", "/tmp/tool"}, []int{0, 3}, ""},
		{[]string{"sudo", "--user=app", "--", "/tmp/tool"}, []int{0, 3}, ""},
		{[]string{"env", "FOO=1", "python3", "x.py"}, []int{0, 2}, ""},
		{[]string{"env", "-i", "-u", "HOME", "FOO=1", "x"}, []int{0, 5}, ""},
		{[]string{"timeout", "10", "/tmp/x"}, []int{0, 2}, ""},
		{[]string{"timeout", "-k", "5", "-s", "KILL", "10", "/tmp/x"}, []int{0, 6}, ""},
		{[]string{"timeout", "--", "10", "/tmp/x"}, []int{0, 3}, ""},
		{[]string{"nice", "-n", "5", "bash", "x.sh"}, []int{0, 3}, ""},
		{[]string{"ionice", "-c3", "/tmp/x"}, []int{0, 2}, ""},
		{[]string{"ionice", "-c", "2", "-n", "7", "/tmp/x"}, []int{0, 5}, ""},
		{[]string{"flock", "LOCK", "/tmp/x"}, []int{0, 2}, ""},
		{[]string{"flock", "-w", "10", "LOCK", "/tmp/x"}, []int{0, 4}, ""},
		{[]string{"flock", "LOCK", "-c", "/tmp/x"}, []int{0}, ""},
		{[]string{"setsid", "-f", "/tmp/x"}, []int{0, 2}, ""},
		{[]string{"stdbuf", "-oL", "-e", "0", "/tmp/x"}, []int{0, 4}, ""},
		{[]string{"chrt", "-f", "10", "/tmp/x"}, []int{0, 3}, ""},
		{[]string{"taskset", "-c", "0,1", "/tmp/x"}, []int{0, 3}, ""},
		{[]string{"/usr/bin/sudo", "env", "X=1", "bash", "/tmp/x.sh"}, []int{0, 1, 3}, ""},
		{[]string{"sudo", "-D", "/srv", "env", "--chdir", "app", "nice", "./run"}, []int{0, 3, 6, 7}, "/srv/app"},
		{[]string{"env", "-C/opt", "x"}, []int{0, 2}, "/opt"},
		{[]string{"sudo", "apt-get", "install", "sed"}, []int{0, 1}, ""},
		{[]string{"sudo", "-i"}, []int{0}, ""},
		{[]string{"sudo", "-u", "app", "RAILS_ENV=production", "/srv/app/bin/task"}, []int{0, 4}, ""},
		{[]string{"sudo", "PATH=/usr/bin:/bin", "LANG=C", "/tmp/x"}, []int{0, 3}, ""},
		{[]string{"env", "-", "PATH=/bin", "/tmp/x"}, []int{0, 3}, ""},
		{[]string{"env", "--", "X=1", "/tmp/x"}, []int{0, 3}, ""},
		{[]string{"env", "-i", "--", "PATH=/bin", "LANG=C", "bash", "/tmp/x.sh"}, []int{0, 5}, ""},
		{[]string{"sudo", "-u", "app", "--", "RAILS_ENV=production", "/tmp/x"}, []int{0, 5}, ""},
		{[]string{"sudo", "--", "/opt/a=b/run"}, []int{0, 2}, ""},
		{[]string{"sudo", "/opt/a=b/run"}, []int{0, 1}, ""},
		{[]string{"runuser", "-u", "app", "--", "/tmp/x"}, []int{0, 4}, ""},
		{[]string{"runuser", "-u", "app", "/tmp/x"}, []int{0, 3}, ""},
		{[]string{"chroot", "/srv/jail", "/bin/x"}, []int{0, 2}, "/"},
		{[]string{"chroot", "--userspec", "app:app", "/srv/jail", "bin/x"}, []int{0, 4}, "/"},
		{[]string{"nsenter", "-t", "1", "-m", "-u", "/tmp/x"}, []int{0, 5}, ""},
		{[]string{"nsenter", "--target", "1", "--mount", "--", "/tmp/x"}, []int{0, 5}, ""},
		{[]string{"nsenter", "-m/proc/1/ns/mnt", "/tmp/x"}, []int{0, 2}, ""},
		{[]string{"nsenter", "-t1", "-a", "-w/srv", "./x"}, []int{0, 4}, "/srv"},
		{[]string{"nsenter", "-t", "1", "--env", "/tmp/x"}, []int{0, 4}, ""},
		{[]string{"nsenter", "-t", "1", "-m", "-W", "/srv", "/tmp/x"}, []int{0, 6}, ""},
		{[]string{"nsenter", "-a", "-t", "1", "--wdns", "/srv", "/tmp/x"}, []int{0, 6}, ""},
		{[]string{"systemd-run", "--wait", "-p", "User=app", "/tmp/x"}, []int{0, 4}, ""},
		{[]string{"systemd-run", "--unit", "fix", "--working-directory=/srv", "bash", "x.sh"}, []int{0, 4}, "/srv"},
		{[]string{"systemd-run", "-C", "svc", "--wait", "/tmp/x"}, []int{0, 4}, ""},
		{[]string{"systemd-run", "-Csvc", "/tmp/x"}, []int{0, 2}, ""},
		{[]string{"unshare", "-T", "--monotonic", "100", "/tmp/x"}, []int{0, 4}, ""},
		{[]string{"unshare", "--time", "--boottime", "-5", "--monotonic=3", "/tmp/x"}, []int{0, 5}, ""},
		{[]string{"setpriv", "--reuid=1000", "--regid", "1000", "--clear-groups", "/tmp/x"}, []int{0, 5}, ""},
		{[]string{"setpriv", "--ruid", "app", "--euid", "app", "--rgid", "app", "--egid", "app", "--init-groups", "/tmp/x"}, []int{0, 10}, ""},
		{[]string{"prlimit", "--nofile=1024", "/tmp/x"}, []int{0, 2}, ""},
		{[]string{"prlimit", "-n1024:2048", "-p", "1", "/tmp/x"}, []int{0, 4}, ""},
		{[]string{"sudo", "-s", "/tmp/x"}, []int{0, 2}, ""},
		{[]string{"doas", "-u", "app", "/tmp/x"}, []int{0, 3}, ""},
		{[]string{"sudo", "--us", "app", "--chd", "/srv", "./x"}, []int{0, 5}, "/srv"},
		{[]string{"timeout", "--sig", "KILL", "--kill=5", "10", "/tmp/x"}, []int{0, 5}, ""},
		{[]string{"nsenter", "-t", "1", "--wd", "/tmp/x"}, []int{0, 4}, ""},
		{[]string{"sudo", "--c", "x", "/tmp/x"}, []int{0, 2}, ""},
		{[]string{"xargs", "-a", "list", "python3", "/tmp/x.py"}, []int{0, 3}, ""},
		{[]string{"xargs", "-ia", "python3", "a"}, []int{0, 2}, ""},
		{[]string{"xargs", "-l2", "-eEND", "bash", "x.sh"}, []int{0, 3}, ""},
	}
	for _, tc := range tests {
		got := Programs(tc.argv)
		var at []int
		for _, p := range got {
			at = append(at, p.At)
		}
		if !slices.Equal(at, tc.at) || got[len(got)-1].Dir != tc.dir || got[len(got)-1].Root != "" && tc.argv[0] != "chroot" {
			t.Errorf("%q: programs %v; want at %v, the last in %q", tc.argv, got, tc.at, tc.dir)
		}
	}
}

// TestProgramsUnderRoot: chroot NEWROOT and sudo -R DIR run the program
// under another root, where its paths are.
func TestProgramsUnderRoot(t *testing.T) {
	for _, tc := range []struct {
		argv      []string
		root, dir string
	}{
		{[]string{"chroot", "/srv/jail", "/bin/x"}, "/srv/jail", "/"},
		{[]string{"sudo", "chroot", "/srv/jail", "chroot", "inner", "x"}, "/srv/jail/inner", "/"},
		{[]string{"sudo", "-R", "/srv/jail", "-D", "/opt", "./x"}, "/srv/jail", "/opt"},
		{[]string{"sudo", "--chroot=/srv/jail", "/bin/x"}, "/srv/jail", ""},
		{[]string{"unshare", "-m", "--root=/srv/jail", "--wd=/opt", "./x"}, "/srv/jail", "/opt"},
	} {
		got := Programs(tc.argv)
		if last := got[len(got)-1]; last.Root != tc.root || last.Dir != tc.dir || last.At != len(tc.argv)-1 {
			t.Errorf("%q: the last program %+v; want %q at %d under %q in %q", tc.argv, last, tc.argv[len(tc.argv)-1], len(tc.argv)-1, tc.root, tc.dir)
		}
	}
}

// TestProgramsSplitString: env -S TEXT runs a command it splits from
// TEXT, which no item of the command line names; Split is TEXT's item.
func TestProgramsSplitString(t *testing.T) {
	for _, tc := range []struct {
		argv  []string
		split int
	}{
		{[]string{"env", "-S", "bash /tmp/x"}, 2},
		{[]string{"env", "-Sbash /tmp/x"}, 1},
		{[]string{"sudo", "env", "-iS", "bash /tmp/x"}, 3},
		{[]string{"env", "--split-string=bash /tmp/x"}, 1},
		{[]string{"env", "--split-string", "bash", "/tmp/x"}, 2},
		{[]string{"env", "--sp", "bash /tmp/x"}, 2},
		{[]string{"/usr/bin/env", "-i", "--split=bash /tmp/x"}, 2},
		{[]string{"env", "-i", "bash", "/tmp/x"}, 0},
		{[]string{"env", "-S"}, 0},
	} {
		split := 0
		for _, p := range Programs(tc.argv) {
			split = max(split, p.Split)
		}
		if split != tc.split {
			t.Errorf("%q: split at %d; want %d", tc.argv, split, tc.split)
		}
	}
}

// TestProgramsText: flock FILE -c TEXT runs TEXT with a shell, and watch
// joins the items after its options and runs them with sh -c unless -x
// (--exec) is given, and su (runuser without -u) runs the text of -c
// with its user's shell, its options anywhere: Text is the item where
// that text begins.
func TestProgramsText(t *testing.T) {
	for _, tc := range []struct {
		argv   []string
		at     []int
		text   int
		joined bool
	}{
		{[]string{"flock", "LOCK", "-c", "echo hi"}, []int{0}, 3, false},
		{[]string{"flock", "LOCK", "echo", "hi"}, []int{0, 2}, 0, false},
		{[]string{"watch", "/tmp/x"}, []int{0}, 1, true},
		{[]string{"watch", "-n", "5", "-d", "df", "-h"}, []int{0}, 4, true},
		{[]string{"watch", "-n5", "--interval", "2", "--", "echo x"}, []int{0}, 5, true},
		{[]string{"timeout", "60", "watch", "-g", "ls"}, []int{0, 2}, 4, true},
		{[]string{"watch", "-x", "/tmp/x"}, []int{0, 2}, 0, false},
		{[]string{"watch", "-tx", "-n", "1", "bash", "x.sh"}, []int{0, 4}, 0, false},
		{[]string{"watch", "--exec", "--", "/tmp/x"}, []int{0, 3}, 0, false},
		{[]string{"watch", "-n", "x", "/tmp/x"}, []int{0}, 3, true},
		{[]string{"watch"}, []int{0}, 0, false},
		{[]string{"su", "app", "-c", "echo hi"}, []int{0}, 3, false},
		{[]string{"su", "-", "app", "-s", "/bin/bash", "--command", "echo hi"}, []int{0}, 6, false},
		{[]string{"su", "-lc", "echo hi", "app"}, []int{0}, 2, false},
		{[]string{"sudo", "su", "--command=echo hi", "app"}, []int{0, 1}, 2, false},
		{[]string{"runuser", "-l", "app", "-c", "echo hi"}, []int{0}, 4, false},
		{[]string{"runuser", "app", "--session-command", "echo hi"}, []int{0}, 3, false},
		{[]string{"runuser", "-u", "app", "--", "git", "-c", "k=v"}, []int{0, 4}, 0, false},
		{[]string{"runuser", "-u", "app", "sh", "-c", "echo hi"}, []int{0, 3}, 0, false},
		{[]string{"su", "app", "--", "-c", "echo hi"}, []int{0}, 0, false},
		{[]string{"su", "app", "--comm", "echo hi"}, []int{0}, 3, false},
		{[]string{"runuser", "--us=app", "--", "/tmp/x"}, []int{0, 3}, 0, false},
		{[]string{"watch", "--ex", "/tmp/x"}, []int{0, 2}, 0, false},
	} {
		got := Programs(tc.argv)
		var at []int
		for _, p := range got {
			at = append(at, p.At)
		}
		if last := got[len(got)-1]; !slices.Equal(at, tc.at) || last.Text != tc.text || last.Joined != tc.joined {
			t.Errorf("%q: programs %+v; want at %v, text at %d, joined %v", tc.argv, got, tc.at, tc.text, tc.joined)
		}
	}
}

// TestProgramsSuShell: su USER ARG… gives the user's shell ARG, its
// script, when no -c gives it program text.
func TestProgramsSuShell(t *testing.T) {
	for _, tc := range []struct {
		argv  []string
		shell int
	}{
		{[]string{"su", "app", "/tmp/x.sh"}, 2},
		{[]string{"su", "-", "app", "/tmp/x.sh", "arg"}, 3},
		{[]string{"runuser", "-s", "/bin/bash", "app", "--", "-e", "/tmp/x.sh"}, 5},
		{[]string{"su", "app", "-c", "echo", "/tmp/x.sh"}, 0},
		{[]string{"su", "app"}, 0},
		{[]string{"runuser", "-u", "app", "/tmp/x.sh"}, 0},
	} {
		if got := Programs(tc.argv); got[len(got)-1].Shell != tc.shell {
			t.Errorf("%q: programs %+v; want the shell's arguments at %d", tc.argv, got, tc.shell)
		}
	}
}

// TestLongOption: a long option's start stands for the one option it
// starts, as getopt_long reads it; a whole name is itself even when it
// starts a longer one, and a start of several is no option of them.
func TestLongOption(t *testing.T) {
	names := []string{"--wd", "--wdns", "--split-string", "--setuid", "--setgid"}
	for opt, want := range map[string]string{
		"--sp":     "--split-string",
		"--wd":     "--wd",
		"--wdn":    "--wdns",
		"--set":    "--set",
		"--setu":   "--setuid",
		"--other":  "--other",
		"--":       "--",
		"-S":       "-S",
		"--setgid": "--setgid",
	} {
		if got := LongOption(opt, names); got != want {
			t.Errorf("LongOption(%q) = %q; want %q", opt, got, want)
		}
	}
}
