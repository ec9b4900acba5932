package steps

import (
	"strings"
	"testing"
)

// TestWatchCommandIsNotInterpolated: watch joins the items after its
// options with spaces and runs them with sh -c, so ${{ }} in any of them
// would run a value as code, and is refused at its place with -x, the
// safe form; with -x, or when watch is a word of another program, the
// items are arguments.
func TestWatchCommandIsNotInterpolated(t *testing.T) {
	reg := fixtureRegistry(t)
	for _, command := range []string{
		`[watch, "echo ${{ inputs.s }}"]`,
		`[watch, -n, "5", df, "${{ inputs.s }}"]`,
		`[timeout, "60", watch, -g, -d, ls, "${{ inputs.s }}"]`,
		`[sudo, /usr/bin/watch, --interval, "2", --, "x${{ inputs.s }}"]`,
	} {
		_, err := Parse("p.yaml", []byte(paramTypesHead+"    op: fake.shell\n    with:\n      command: "+command+"\n"), reg)
		if err == nil || !strings.Contains(err.Error(), "p.yaml:15:") || !strings.Contains(err.Error(), "command of watch without -x") || !strings.Contains(err.Error(), "[watch, -x, --,") {
			t.Errorf("%s: %v", command, err)
		}
	}
	for _, command := range []string{
		`[watch, -x, df, "${{ inputs.s }}"]`,
		`[watch, -tx, -n, "1", --, ls, "${{ inputs.s }}"]`,
		`[watch, --exec, ls, "${{ inputs.s }}"]`,
		`[kubectl, get, pods, --watch, -l, "${{ inputs.s }}"]`,
		`[apt-get, install, watch, "${{ inputs.s }}"]`,
		`[watch, -n, "5", df, -h]`,
	} {
		if _, err := Parse("p.yaml", []byte(paramTypesHead+"    op: fake.shell\n    with:\n      command: "+command+"\n"), reg); err != nil {
			t.Errorf("%s: %v", command, err)
		}
	}
}

// TestSuCommandIsNotInterpolated: su and runuser without -u run the text
// of -c (--command, --session-command) with the user's shell, their
// options anywhere, so ${{ }} there is refused with runuser -u as the
// safe form; runuser -u runs a program's items, whose -c is its own.
func TestSuCommandIsNotInterpolated(t *testing.T) {
	reg := fixtureRegistry(t)
	for _, command := range []string{
		`[runuser, app, -c, "systemctl restart ${{ inputs.s }}"]`,
		`[runuser, -l, app, --command, "x${{ inputs.s }}"]`,
		`[runuser, app, "--session-command=x${{ inputs.s }}"]`,
		`[su, -, app, -c, "x${{ inputs.s }}"]`,
		`[su, -lc, "x${{ inputs.s }}", app]`,
		`[sudo, /bin/su, app, -s, /bin/bash, -c, "x${{ inputs.s }}"]`,
		`[su, app, --comm, "x${{ inputs.s }}"]`,
		`[runuser, app, "--sess=x${{ inputs.s }}"]`,
	} {
		_, err := Parse("p.yaml", []byte(paramTypesHead+"    op: fake.shell\n    with:\n      command: "+command+"\n"), reg)
		if err == nil || !strings.Contains(err.Error(), "p.yaml:15:") || !strings.Contains(err.Error(), "would run as code") || !strings.Contains(err.Error(), "[runuser, -u, app, --, sh, -c,") {
			t.Errorf("%s: %v", command, err)
		}
	}
	for _, command := range []string{
		`[runuser, -u, app, --, git, -c, "user.name=${{ inputs.s }}", commit]`,
		`[runuser, -u, app, --, sh, -c, 'echo "$1"', sh, "${{ inputs.s }}"]`,
		`[sudo, git, -c, "user.name=${{ inputs.s }}", commit]`,
		`[git, -c, "user.name=${{ inputs.s }}", commit]`,
		`[su, app, -c, 'echo "$1"', --, sh, "${{ inputs.s }}"]`,
		`[runuser, app, -c, "systemctl restart app"]`,
		`[runuser, app, ./task.sh, "${{ inputs.s }}"]`,
	} {
		if _, err := Parse("p.yaml", []byte(paramTypesHead+"    op: fake.shell\n    with:\n      command: "+command+"\n"), reg); err != nil {
			t.Errorf("%s: %v", command, err)
		}
	}
}

// TestInterpreterOptionValues: an interpreter's option that takes the
// next item (node --env-file .env, bash -O extglob, --rcfile FILE) has
// that item for its value, no script, so the program text of a -c or -e
// after it is still found, and stdin is still its program; the
// interpreters' options are read from the table the swap check reads.
func TestInterpreterOptionValues(t *testing.T) {
	reg := fixtureRegistry(t)
	for _, command := range []string{
		`[node, --env-file, .env, -e, "x${{ inputs.s }}"]`,
		`[node, --require, ./hook.js, --title, svc, -p, "x${{ inputs.s }}"]`,
		`[bash, -O, extglob, -c, "x${{ inputs.s }}"]`,
		`[bash, --rcfile, rc, -c, "x${{ inputs.s }}"]`,
		`[php, -d, x=1, -c, php.ini, -r, "x${{ inputs.s }}"]`,
		`[ruby, -C, /srv/app, -e, "x${{ inputs.s }}"]`,
		`[perl, -I, lib, -e, "x${{ inputs.s }}"]`,
	} {
		_, err := Parse("p.yaml", []byte(paramTypesHead+"    op: fake.shell\n    with:\n      command: "+command+"\n"), reg)
		if err == nil || !strings.Contains(err.Error(), "p.yaml:15:") || !strings.Contains(err.Error(), "would run as code") {
			t.Errorf("%s: %v", command, err)
		}
	}
	for _, command := range []string{
		`[bash, -O, extglob]`,
		`[node, --env-file, .env]`,
		`[python3, -X, dev]`,
		`[php, -d, x=1]`,
	} {
		_, err := Parse("p.yaml", []byte(paramTypesHead+"    op: fake.shell\n    with:\n      command: "+command+"\n      stdin: \"x${{ inputs.s }}\"\n"), reg)
		if err == nil || !strings.Contains(err.Error(), "reads its program from it") {
			t.Errorf("%s with stdin: %v", command, err)
		}
	}
	for _, command := range []string{
		`[node, --env-file, .env, app.js, -e, "${{ inputs.s }}"]`,
		`[ruby, -C, /srv/app, x.rb, -e, "${{ inputs.s }}"]`,
		`[perl, -Mstrict, x.pl, -e, "${{ inputs.s }}"]`,
		`[perl, -pie, "s/a/b/", "${{ inputs.s }}"]`,
		`[bash, -O, extglob, x.sh, -c, "${{ inputs.s }}"]`,
		`[php, -f, x.php, -r, "${{ inputs.s }}"]`,
		`[php, -dx=1, --file=x.php, -r, "${{ inputs.s }}"]`,
	} {
		if _, err := Parse("p.yaml", []byte(paramTypesHead+"    op: fake.shell\n    with:\n      command: "+command+"\n"), reg); err != nil {
			t.Errorf("%s: %v", command, err)
		}
	}
	for _, command := range []string{
		`[php, -f, x.php]`,
		`[php, -d, x=1, -F, each.php]`,
		`[node, --env-file, .env, app.js]`,
	} {
		if _, err := Parse("p.yaml", []byte(paramTypesHead+"    op: fake.shell\n    with:\n      command: "+command+"\n      stdin: \"x${{ inputs.s }}\"\n"), reg); err != nil {
			t.Errorf("%s with stdin: %v", command, err)
		}
	}
}

// TestXargsOptionalArguments: xargs's -i, -e and -l take their optional
// argument in the rest of their item alone (-ia: replace "a"), so the
// program after them is the program run, and awk's text there checked.
func TestXargsOptionalArguments(t *testing.T) {
	reg := fixtureRegistry(t)
	for _, command := range []string{
		`[xargs, -ia, awk, "{ print ${{ inputs.s }} }"]`,
		`[xargs, -l1, -es, sed, "s/a/${{ inputs.s }}/"]`,
	} {
		_, err := Parse("p.yaml", []byte(paramTypesHead+"    op: fake.shell\n    with:\n      command: "+command+"\n"), reg)
		if err == nil || !strings.Contains(err.Error(), "p.yaml:15:") || !strings.Contains(err.Error(), "sed script") && !strings.Contains(err.Error(), "program text of awk") {
			t.Errorf("%s: %v", command, err)
		}
	}
	if _, err := Parse("p.yaml", []byte(paramTypesHead+"    op: fake.shell\n    with:\n      command: [xargs, -a, list, awk, -v, \"x=${{ inputs.s }}\", \"{ print x }\"]\n"), reg); err != nil {
		t.Errorf("xargs -a list awk -v: %v", err)
	}
}
