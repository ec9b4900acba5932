package steps

import (
	"strings"
	"testing"
)

// TestScriptAndSgTextIsNotInterpolated: script -c TEXT runs TEXT with a
// shell, and so does sg GROUP [-c] TEXT (with sh -c), so ${{ }} there is
// refused when script or sg is the program run, alone or under a
// wrapper; as a word of another program ([grep, script, -c, …]) it is an
// argument, and a value after the typescript file is no text.
func TestScriptAndSgTextIsNotInterpolated(t *testing.T) {
	reg := fixtureRegistry(t)
	parse := func(command string) error {
		_, err := Parse("p.yaml", []byte(paramTypesHead+"    op: fake.shell\n    with:\n      command: "+command+"\n"), reg)
		return err
	}
	for command, want := range map[string]string{
		`[script, -c, "systemctl restart ${{ inputs.s }}"]`:                    "program text of script -c",
		`[script, -qc, "x${{ inputs.s }}", /dev/null]`:                         "program text of script -c",
		`[sudo, script, -q, -e, "--command=x${{ inputs.s }}", /dev/null]`:      "program text of script -c",
		`[timeout, "60", script, -q, -O, out.log, --comm, "x${{ inputs.s }}"]`: "program text of script -c",
		`[sg, docker, -c, "docker restart ${{ inputs.s }}"]`:                   "program text of sg",
		`[sg, docker, "docker restart ${{ inputs.s }}"]`:                       "program text of sg",
		`[sudo, -u, app, sg, -, docker, "x${{ inputs.s }}"]`:                   "program text of sg",
	} {
		if err := parse(command); err == nil || !strings.Contains(err.Error(), "p.yaml:15:") || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "would run as code") {
			t.Errorf("%s: %v; want %q", command, err, want)
		}
	}
	for _, command := range []string{
		`[grep, -r, script, -c, "${{ inputs.s }}"]`,
		`[apt-get, install, sg, "${{ inputs.s }}"]`,
		`[script, -qc, "make test", "${{ inputs.s }}"]`,
		`[script, -q, -t, "${{ inputs.s }}"]`,
		`[script, -qc, "df -h", /dev/null]`,
		`[sg, docker, -c, "docker ps"]`,
		`[sg, docker, "docker ps"]`,
		`[sg, -p, "${{ inputs.s }}", src]`,
		`[sg, --pattern, "${{ inputs.s }}", --lang, go]`,
	} {
		if err := parse(command); err != nil {
			t.Errorf("%s: %v, want it allowed", command, err)
		}
	}
}

// TestScriptAndSgShellReadsStdin: script without -c and sg GROUP with no
// text start a shell, which reads its program from stdin.
func TestScriptAndSgShellReadsStdin(t *testing.T) {
	reg := fixtureRegistry(t)
	parse := func(command string) error {
		src := paramTypesHead + "    op: fake.shell\n    with:\n      command: " + command + "\n      stdin: \"echo ${{ inputs.s }}\"\n"
		_, err := Parse("p.yaml", []byte(src), reg)
		return err
	}
	for _, command := range []string{`[script, -q, /dev/null]`, `[sg, docker]`, `[sudo, sg, -, docker]`} {
		if err := parse(command); err == nil || !strings.Contains(err.Error(), "reads its program from it") {
			t.Errorf("%s with stdin: %v", command, err)
		}
	}
	for _, command := range []string{`[script, -qc, "cat > x", /dev/null]`, `[sg, docker, "cat > x"]`, `[sg]`, `[sg, -p, x, src]`, `[grep, script]`} {
		if err := parse(command); err != nil {
			t.Errorf("%s with stdin: %v, want it allowed", command, err)
		}
	}
}

// TestAtJobFromStdin: at and batch read the shell commands of the job
// they queue from stdin, unless -f names a file or they list, remove or
// print jobs; as a word of another program, at is an argument.
func TestAtJobFromStdin(t *testing.T) {
	reg := fixtureRegistry(t)
	parse := func(command string) error {
		src := paramTypesHead + "    op: fake.shell\n    with:\n      command: " + command + "\n      stdin: \"systemctl restart ${{ inputs.s }}\"\n"
		_, err := Parse("p.yaml", []byte(src), reg)
		return err
	}
	for _, command := range []string{`[at, now + 5 minutes]`, `[at, -q, b, -m, "02:00"]`, `[batch]`, `[sudo, -u, app, /usr/bin/at, -M, now]`} {
		if err := parse(command); err == nil || !strings.Contains(err.Error(), "p.yaml:16:") || !strings.Contains(err.Error(), "queues it as the shell commands of a job") {
			t.Errorf("%s with stdin: %v", command, err)
		}
	}
	for _, command := range []string{`[at, -f, /srv/job.sh, now]`, `[at, -l]`, `[at, -c, "3"]`, `[grep, at]`, `[tee, at]`} {
		if err := parse(command); err != nil {
			t.Errorf("%s with stdin: %v, want it allowed", command, err)
		}
	}
}
