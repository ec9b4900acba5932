package steps

import (
	"strings"
	"testing"
)

// TestCodeArgumentsAreNotInterpolated: ${{ }} in the program text of
// [sh, -c, …] and the like would run a value as code, as in script, and
// is refused at its place with the safe forms; a value as an argument
// after the text, or any item of another program, is not.
func TestCodeArgumentsAreNotInterpolated(t *testing.T) {
	reg := fixtureRegistry(t)
	for _, command := range []string{
		`[sh, -c, "ls ${{ inputs.s }}"]`,
		`[/bin/bash, -ec, "ls ${{ inputs.s }}"]`,
		`[bash, -lc, "x${{ inputs.s }}"]`,
		`[python3, -c, "print(${{ inputs.s }})"]`,
		`[env, sh, -c, "ls -d ${{ inputs.s }}"]`,
		`[sudo, -u, app, bash, -ec, "x${{ inputs.s }}"]`,
		`[timeout, 10, sh, -c, "x${{ inputs.s }}"]`,
		`[perl, -ne, "print if /${{ inputs.s }}/"]`,
		`[bash, -ic, "x${{ inputs.s }}"]`,
		`[python3, -Ic, "x${{ inputs.s }}"]`,
		`[bash, -c, -e, "x${{ inputs.s }}"]`,
		`[node, --eval, "x${{ inputs.s }}"]`,
		`[bash, -o, pipefail, -c, "x${{ inputs.s }}"]`,
		`[bash, -eo, pipefail, -c, "x${{ inputs.s }}"]`,
		`[python3, -W, ignore, -c, "x${{ inputs.s }}"]`,
		`[python3.11, -c, "print('${{ inputs.s }}')"]`,
		`[/usr/bin/python3.12, -Ic, "x${{ inputs.s }}"]`,
		`[perl5.36, -e, "x${{ inputs.s }}"]`,
		`[ruby3.2, -e, "x${{ inputs.s }}"]`,
		`[php8.2, -r, "x${{ inputs.s }}"]`,
		`[php, -R, "echo strtoupper(${{ inputs.s }});"]`,
		`[php, -B, "$n = ${{ inputs.s }};", -R, "$n++;"]`,
		`[php, -nE, "echo ${{ inputs.s }};"]`,
		`[php, --process-code, "echo ${{ inputs.s }};"]`,
		`[php, -B, "$n = 0;", -R, "echo ${{ inputs.s }};"]`,
		`[perl, -e, "use strict;", -e, "print ${{ inputs.s }}"]`,
		`[ruby, -e, "require 'json'", -e, "puts ${{ inputs.s }}"]`,
		`[ksh93, -c, "x${{ inputs.s }}"]`,
		`[pypy3, -c, "x${{ inputs.s }}"]`,
		`[nodejs, -e, "x${{ inputs.s }}"]`,
		`[mksh, -c, "echo ${{ inputs.s }}"]`,
		`[tcsh, -c, "echo ${{ inputs.s }}"]`,
		`[flock, /run/app.lock, -c, "echo ${{ inputs.s }}"]`,
		`[flock, -w, "10", /run/app.lock, --command, "echo ${{ inputs.s }}"]`,
		`[flock, /run/app.lock, bash, -c, "echo ${{ inputs.s }}"]`,
		`[bash, -ce, "x${{ inputs.s }}"]`,
		`[sh, -cex, "x${{ inputs.s }}"]`,
		`[sudo, -u, app, /bin/bash, -euc, "x${{ inputs.s }}"]`,
		`[bash, -c, -o, pipefail, "x${{ inputs.s }}"]`,
		`[bash, -ce, -o, pipefail, "x${{ inputs.s }}"]`,
		`[bash, -c, +e, "x${{ inputs.s }}"]`,
		`[tcsh, -cf, "echo ${{ inputs.s }}"]`,
		`[/usr/bin/env-less, x]`, // not a shell: accepted below
	} {
		_, err := Parse("p.yaml", []byte(paramTypesHead+"    op: fake.shell\n    with:\n      command: "+command+"\n"), reg)
		if strings.Contains(command, "env-less") {
			if err != nil {
				t.Errorf("%s: %v", command, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "p.yaml:15:") || !strings.Contains(err.Error(), "would run as code") || !strings.Contains(err.Error(), "pass it") {
			t.Errorf("%s: %v", command, err)
		}
	}
	for _, command := range []string{
		`[sh, -c, 'ls "$1"', sh, "${{ inputs.s }}"]`,
		`[ls, -c, "${{ inputs.s }}"]`,
		`[echo, "${{ inputs.s }}"]`,
		`[sh, "${{ inputs.s }}"]`,
		`[sh, -x, script.sh, "${{ inputs.s }}"]`,
		`[python3, -m, http.server, "${{ inputs.s }}"]`,
		`[perl, -e, 'print $ARGV[0]', "${{ inputs.s }}"]`,
		`[perl, -e, "use strict;", -e, 'print $ARGV[0]', "${{ inputs.s }}", -e]`,
		`[php, -B, "$n = 0;", -R, 'echo $argv[1];', "${{ inputs.s }}"]`,
		`[sh, script.sh, -c, "${{ inputs.s }}"]`,
		`[bash, --, run.sh, -c, "x${{ inputs.s }}"]`,
		`[python3, tool.py, -c, "${{ inputs.s }}"]`,
		`[python3.11, tool.py, "${{ inputs.s }}"]`,
		`[flock, /run/app.lock, backup.sh, "${{ inputs.s }}"]`,
		`[flock, -n, /run/backup.lock, rsync, -ac, "${{ inputs.s }}", /backup/]`,
		`[flock, /run/app.lock, git, -c, "user.name=${{ inputs.s }}", commit]`,
		`[app2.0, -c, "${{ inputs.s }}"]`,
		`[redis-cli, -h, node1, -p, "${{ inputs.s }}", ping]`,
		`[psql, -h, node2, -p, "${{ inputs.s }}", -c, "select 1"]`,
		`[docker, run, --name, sh1, -e, "X=${{ inputs.s }}", alpine]`,
		`[bash, -ce, 'echo "$1"', bash, "${{ inputs.s }}"]`,
		`[bash, -c, -o, pipefail, 'ls "$1"', bash, "${{ inputs.s }}"]`,
		`[python3, -cI, "print(1)", "${{ inputs.s }}"]`,
	} {
		if _, err := Parse("p.yaml", []byte(paramTypesHead+"    op: fake.shell\n    with:\n      command: "+command+"\n"), reg); err != nil {
			t.Errorf("%s: %v", command, err)
		}
	}
}

// TestCodeArgumentFixFitsTheInterpreter: the safe form offered is one the
// interpreter runs.
func TestCodeArgumentFixFitsTheInterpreter(t *testing.T) {
	reg := fixtureRegistry(t)
	for command, want := range map[string]string{
		`[sh, -c, "ls ${{ inputs.s }}"]`:          `[sh, -c, 'echo "$1"', sh, "${{ expr }}"]`,
		`[python3, -c, "print(${{ inputs.s }})"]`: `[python3, -c, 'import sys; print(sys.argv[1])', "${{ expr }}"]`,
		`[pwsh, -Command, "x${{ inputs.s }}"]`:    `pass it through the step's env`,
		`[python3.11, -c, "x${{ inputs.s }}"]`:    `[python3.11, -c, 'import sys; print(sys.argv[1])', "${{ expr }}"]`,
	} {
		_, err := Parse("p.yaml", []byte(paramTypesHead+"    op: fake.shell\n    with:\n      command: "+command+"\n"), reg)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %s", command, err, want)
		}
	}
}

// TestSSHRemoteCommandIsNotInterpolated: ssh joins the items after its
// destination with spaces for the remote shell, so ${{ }} in any of them
// runs a value as code on the host; and an operand of ssh, scp or sftp
// before -- is an option when it begins with "-" (-oProxyCommand=… runs
// a local command). Option arguments are neither, nor is ssh a word of a
// command that runs another program (journalctl -u ssh).
func TestSSHRemoteCommandIsNotInterpolated(t *testing.T) {
	reg := fixtureRegistry(t)
	for command, want := range map[string]string{
		`[ssh, db1, "systemctl restart ${{ inputs.s }}"]`:                      "remote command of ssh",
		`[ssh, -p, 2222, -i, key, db1, systemctl, restart, "${{ inputs.s }}"]`: "remote command of ssh",
		`[/usr/bin/ssh, -tt, -o, BatchMode=yes, db1, "x${{ inputs.s }}"]`:      "remote command of ssh",
		`[ssh, -p2222, -vl, ops, --, db1, "x${{ inputs.s }}"]`:                 "remote command of ssh",
		`[sudo, -u, app, ssh, --, "${{ inputs.s }}", "x${{ inputs.s }}"]`:      "remote command of ssh",
		`[ssh, "${{ inputs.s }}", uptime]`:                                     "operand of ssh before --",
		`[ssh, -p, 22, "${{ inputs.s }}"]`:                                     "operand of ssh before --",
		`[scp, -P, 2222, "${{ inputs.s }}", "db1:/tmp/"]`:                      "operand of scp before --",
		`[scp, -r, a, "db1:${{ inputs.s }}"]`:                                  "operand of scp before --",
		`[sftp, "${{ inputs.s }}"]`:                                            "operand of sftp before --",
		`[sshpass, -f, pw.txt, ssh, db1, "x${{ inputs.s }}"]`:                  "remote command of ssh",
	} {
		_, err := Parse("p.yaml", []byte(paramTypesHead+"    op: fake.shell\n    with:\n      command: "+command+"\n"), reg)
		if err == nil || !strings.Contains(err.Error(), "p.yaml:15:") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", command, err)
		}
	}
	for _, command := range []string{
		`[ssh, --, "${{ inputs.s }}", uptime]`,
		`[ssh, -p, "${{ inputs.s }}", db1, uptime]`,
		`[ssh, -o, "User=${{ inputs.s }}", db1, "true"]`,
		`[ssh, -vp, "${{ inputs.s }}", db1, uptime]`,
		`[ssh, db1, sh, -c, 'echo ok']`,
		`[scp, -i, "${{ inputs.s }}", --, "${{ inputs.s }}", "db1:/tmp/"]`,
		`[sftp, -b, batch, --, "${{ inputs.s }}"]`,
		`[journalctl, -u, ssh, --since, "${{ inputs.s }}"]`,
		`[grep, -rn, ssh, "${{ inputs.s }}"]`,
		`[sudo, systemctl, restart, ssh, "${{ inputs.s }}"]`,
	} {
		if _, err := Parse("p.yaml", []byte(paramTypesHead+"    op: fake.shell\n    with:\n      command: "+command+"\n"), reg); err != nil {
			t.Errorf("%s: %v", command, err)
		}
	}
}

// TestStdinProgramIsNotInterpolated: an interpreter given no program on
// its command line reads it from standard input, so ${{ }} in stdin runs
// a value as code there, as in script; stdin given to a program reading
// data, or to an interpreter running a file or -c text, is data.
func TestStdinProgramIsNotInterpolated(t *testing.T) {
	reg := fixtureRegistry(t)
	step := func(command string) string {
		return paramTypesHead + "    op: fake.shell\n    with:\n      command: " + command + "\n      stdin: \"echo ${{ inputs.s }}\"\n"
	}
	for _, command := range []string{
		`[sh]`,
		`[/bin/bash, -e]`,
		`[bash, -eo, pipefail]`,
		`[bash, -s, --, a, b]`,
		`[sudo, -u, app, sh, -s]`,
		`[python3]`,
		`[python3, -u, -]`,
		`[perl]`,
		`[node]`,
		`[sh, --, -]`,
		`[python3.11]`,
		`[mksh, -e]`,
	} {
		_, err := Parse("p.yaml", []byte(step(command)), reg)
		if err == nil || !strings.Contains(err.Error(), "p.yaml:16:") || !strings.Contains(err.Error(), "reads its program from it") {
			t.Errorf("%s: %v", command, err)
		}
	}
	for _, command := range []string{
		`[sh, script.sh]`,
		`[bash, -c, 'read x; echo "$x"']`,
		`[python3, -m, json.tool]`,
		`[python3, tool.py, -]`,
		`[perl, -ne, print]`,
		`[cat]`,
		`[psql, -f, "-"]`,
		`[sh, "${{ inputs.s }}"]`,
		`[fish]`,
	} {
		if _, err := Parse("p.yaml", []byte(step(command)), reg); err != nil {
			t.Errorf("%s: %v", command, err)
		}
	}
}
