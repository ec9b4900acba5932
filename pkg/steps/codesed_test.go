package steps

import (
	"strings"
	"testing"
)

// TestSedScriptIsNotInterpolated: a sed script can run a command (e, the
// e flag of s) and write any file (w), so ${{ }} in it is refused unless
// --sandbox makes sed refuse those; a value in a file operand, or after a
// script given with -e or read from a file, is data, and so is a sed or
// awk that is a word of the command rather than the program it runs
// ([sudo, apt-get, install, sed, ...]).
func TestSedScriptIsNotInterpolated(t *testing.T) {
	reg := fixtureRegistry(t)
	parse := func(command string) error {
		_, err := Parse("p.yaml", []byte(paramTypesHead+"    op: fake.shell\n    with:\n      command: "+command+"\n"), reg)
		return err
	}
	for _, command := range []string{
		`[sed, -i, "s/^version=.*/version=${{ inputs.s }}/", app.conf]`,
		`[/bin/sed, -n, -e, "/${{ inputs.s }}/p", log]`,
		`[sed, -ne, "/${{ inputs.s }}/p"]`,
		`[sed, "--expression=s/a/${{ inputs.s }}/"]`,
		`[sed, -E, -e, "s/a/b/", -e, "s/c/${{ inputs.s }}/", f]`,
		`[sudo, sed, -i.bak, "s/a/${{ inputs.s }}/", f]`,
		`[timeout, 10, sed, -n, "/${{ inputs.s }}/p", f]`,
		`[sudo, -u, app, sed, -i, "s/a/${{ inputs.s }}/", f]`,
		`[sudo, --user, app, nice, -n, "5", sed, -i, "s/a/${{ inputs.s }}/", f]`,
		`[env, LC_ALL=C, sed, -n, "/${{ inputs.s }}/p", f]`,
		`[sudo, LC_ALL=C, sed, -i, "s/a/${{ inputs.s }}/", f]`,
		`[flock, -w, "5", /run/app.lock, sed, -i, "s/a/${{ inputs.s }}/", f]`,
		`[runuser, -u, app, --, sed, -i, "s/a/${{ inputs.s }}/", f]`,
		`[chroot, /srv/jail, sed, -i, "s/a/${{ inputs.s }}/", f]`,
		`[nsenter, -t, "1", -m, sed, -i, "s/a/${{ inputs.s }}/", f]`,
		`[systemd-run, --wait, -p, User=app, awk, "{ print \"${{ inputs.s }}\" }"]`,
		`[setpriv, --reuid=1000, sed, -i, "s/a/${{ inputs.s }}/", f]`,
		`[prlimit, --nofile=1024, sed, -i, "s/a/${{ inputs.s }}/", f]`,
		`[sed, -e, p, --expr, "s/a/${{ inputs.s }}/", f]`,
		`[sed, -n, "--expr=/${{ inputs.s }}/p", f]`,
		`[env, --, LC_ALL=C, sed, -i, "s/a/${{ inputs.s }}/", f]`,
	} {
		err := parse(command)
		if err == nil || !strings.Contains(err.Error(), "p.yaml:15:") || !strings.Contains(err.Error(), "--sandbox") && !strings.Contains(err.Error(), "awk") {
			t.Errorf("%s: %v", command, err)
		}
	}
	for _, command := range []string{
		`[sed, --sandbox, -i, "s/^version=.*/version=${{ inputs.s }}/", app.conf]`,
		`[sed, --sand, -i, "s/^version=.*/version=${{ inputs.s }}/", app.conf]`,
		`[sed, -n, "/error/p", "${{ inputs.s }}"]`,
		`[sed, -e, "s/a/b/", "${{ inputs.s }}"]`,
		`[sed, -f, edit.sed, "${{ inputs.s }}"]`,
		`[sed, -l, "80", -n, l, "${{ inputs.s }}"]`,
		`[apt-get, install, -y, sed, "${{ inputs.s }}"]`,
		`[dnf, install, -y, gawk, "${{ inputs.s }}"]`,
		`[echo, awk, "${{ inputs.s }}"]`,
		`[sudo, apt-get, install, -y, sed, "${{ inputs.s }}"]`,
		`[sudo, -u, app, dnf, install, -y, gawk, "${{ inputs.s }}"]`,
		`[env, LC_ALL=C, grep, -rn, sed, "${{ inputs.s }}"]`,
		`[timeout, 10, grep, -c, awk, "${{ inputs.s }}"]`,
		`[chroot, /srv/jail, apt-get, install, -y, sed, "${{ inputs.s }}"]`,
		`[nsenter, -t, "1", -m, journalctl, -u, sed, --grep, "${{ inputs.s }}"]`,
	} {
		if err := parse(command); err != nil {
			t.Errorf("%s: %v", command, err)
		}
	}
}

// TestSedSandboxAfterTheScript: --sandbox written after the script is
// refused still (a sed that stops reading options at the script takes it
// for a file), and the refusal says to move it before the script, not to
// add what the command already has.
func TestSedSandboxAfterTheScript(t *testing.T) {
	reg := fixtureRegistry(t)
	for _, command := range []string{
		`[sed, -i, "s/a/${{ inputs.s }}/", --sandbox, app.conf]`,
		`[sed, "s/a/${{ inputs.s }}/", app.conf, --sandbox]`,
	} {
		_, err := Parse("p.yaml", []byte(paramTypesHead+"    op: fake.shell\n    with:\n      command: "+command+"\n"), reg)
		if err == nil || !strings.Contains(err.Error(), "with --sandbox after it") || !strings.Contains(err.Error(), "move it before the script: [sed, --sandbox,") {
			t.Errorf("%s: %v", command, err)
		}
	}
	_, err := Parse("p.yaml", []byte(paramTypesHead+"    op: fake.shell\n    with:\n      command: [sed, \"s/a/${{ inputs.s }}/\", --, --sandbox]\n"), reg)
	if err == nil || strings.Contains(err.Error(), "move --sandbox") || !strings.Contains(err.Error(), "add --sandbox") {
		t.Errorf("--sandbox after --, a file: %v", err)
	}
}
