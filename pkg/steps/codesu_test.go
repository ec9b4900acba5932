package steps

import (
	"strings"
	"testing"
)

// TestSuShellReadsStdin: su USER and runuser without -u, given no -c
// and no script, start the user's shell, which reads its program from
// stdin: ${{ }} there runs as code and is refused; so do sudo -s or -i,
// doas -s, nsenter, unshare and chroot NEWROOT with no program after
// them. With -c, a script for that shell, or a program, stdin is data.
func TestSuShellReadsStdin(t *testing.T) {
	reg := fixtureRegistry(t)
	parse := func(command string) error {
		src := paramTypesHead + "    op: fake.shell\n    with:\n      command: " + command + "\n      stdin: \"echo ${{ inputs.s }}\"\n"
		_, err := Parse("p.yaml", []byte(src), reg)
		return err
	}
	for _, command := range []string{
		`[su, app]`,
		`[su, -, app]`,
		`[su, -s, /bin/bash, app]`,
		`[runuser, app]`,
		`[sudo, su, app]`,
		`[su, "${{ inputs.s }}"]`,
		`[sudo, -i]`,
		`[sudo, -u, app, -s]`,
		`[/usr/bin/sudo, -iu, app]`,
		`[sudo, --login, --user=app]`,
		`[doas, -s]`,
		`[nsenter, -t, "1", -a]`,
		`[unshare, -m, -n]`,
		`[chroot, /srv/jail]`,
	} {
		if err := parse(command); err == nil || !strings.Contains(err.Error(), "reads its program from it") {
			t.Errorf("%s with stdin: %v", command, err)
		}
	}
	for _, command := range []string{
		`[su, app, -c, "cat > /tmp/x"]`,
		`[su, app, /srv/task.sh]`,
		`[runuser, -u, app, --, cat]`,
		`[sudo, -u, app, tee, /srv/app/x]`,
		`[sudo, -i, psql]`,
		`[sudo, -l]`,
		`[nsenter, -t, "1", -m, tee, /etc/x]`,
		`[chroot, /srv/jail, tee, /x]`,
		`[chroot]`,
	} {
		if err := parse(command); err != nil {
			t.Errorf("%s with stdin: %v, want it allowed", command, err)
		}
	}
}
