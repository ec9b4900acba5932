package steps

import (
	"strings"
	"testing"
)

// TestInterpreterNamedContainerHidesNoProgram: a container, pod or host
// named after an interpreter (a compose service php, a pod node) is a
// word of the command, not the program it runs: the shell that runs
// after it is checked still. The interpreter run as the program keeps
// its arguments to itself.
func TestInterpreterNamedContainerHidesNoProgram(t *testing.T) {
	reg := fixtureRegistry(t)
	parse := func(command, stdin string) error {
		src := paramTypesHead + "    op: fake.shell\n    with:\n      command: " + command + "\n"
		if stdin != "" {
			src += "      stdin: \"" + stdin + "\"\n"
		}
		_, err := Parse("p.yaml", []byte(src), reg)
		return err
	}
	for _, command := range []string{
		`[docker, compose, exec, php, sh, -c, "php artisan ${{ inputs.s }}"]`,
		`[kubectl, exec, node, --, bash, -c, "x ${{ inputs.s }}"]`,
		`[docker, exec, python, python, -c, "${{ inputs.s }}"]`,
		`[docker, exec, perl5, sh, -c, "x ${{ inputs.s }}"]`,
	} {
		if err := parse(command, ""); err == nil || !strings.Contains(err.Error(), "would run as code") {
			t.Errorf("%s: %v", command, err)
		}
	}
	for _, command := range []string{
		`[docker, exec, -i, node, sh]`,
		`[kubectl, exec, -i, ruby, --, bash, -s]`,
	} {
		if err := parse(command, "echo ${{ inputs.s }}"); err == nil || !strings.Contains(err.Error(), "reads its program from it") {
			t.Errorf("%s with stdin: %v", command, err)
		}
	}
	for _, command := range []string{
		`[python3, tool.py, sh, -c, "${{ inputs.s }}"]`,
		`[sudo, -u, app, python3, tool.py, bash, -c, "${{ inputs.s }}"]`,
		`[docker, exec, node, node, app.js, "${{ inputs.s }}"]`,
	} {
		if err := parse(command, ""); err != nil {
			t.Errorf("%s: %v", command, err)
		}
	}
	for _, command := range []string{`[docker, exec, -i, python, psql]`, `[python3, tool.py, sh]`} {
		if err := parse(command, "select ${{ inputs.s }}"); err != nil {
			t.Errorf("%s with stdin: %v", command, err)
		}
	}
}
