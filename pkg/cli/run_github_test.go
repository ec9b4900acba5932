package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// ghCommand is a workflow command as the GitHub Actions runner reads it
// from a line of output (ActionCommand.TryParseV2 in actions/runner).
type ghCommand struct {
	Name  string
	Props map[string]string
	Data  string
}

// ghRegistered are the workflow commands the runner knows, beside a stop
// token while commands are stopped.
var ghRegistered = map[string]bool{"error": true, "warning": true, "notice": true, "debug": true,
	"group": true, "endgroup": true, "add-mask": true, "add-matcher": true, "remove-matcher": true,
	"echo": true, "stop-commands": true, "set-output": true, "save-state": true, "set-env": true, "add-path": true}

// parseGHCommands reads out as the runner does, line by line
// (ActionCommandManager.TryProcessCommand in actions/runner): a line that
// starts with "::" after its leading blanks is a command whose info ends
// at the next "::", else a line holding "##[" has one that ends at the
// next ']'; its properties split at ',' and then at the first '=', and
// both they and the data are unescaped in the runner's order. Only known
// commands count. ::stop-commands::TOKEN stops all of them until a line
// ::TOKEN::, and neither is returned.
func parseGHCommands(out string) []ghCommand {
	unesc := func(s string, pairs ...string) string {
		for i := 0; i < len(pairs); i += 2 {
			s = strings.ReplaceAll(s, pairs[i], pairs[i+1])
		}
		return s
	}
	var cmds []ghCommand
	stopToken := ""
	for _, line := range strings.FieldsFunc(out, func(r rune) bool { return r == '\n' || r == '\r' }) {
		var info, data string
		if v2 := strings.TrimLeftFunc(line, unicode.IsSpace); strings.HasPrefix(v2, "::") {
			end := strings.Index(v2[2:], "::")
			if end < 0 {
				continue
			}
			info, data = v2[2:2+end], v2[2+end+2:]
		} else if at := strings.Index(line, "##["); at >= 0 {
			end := strings.IndexByte(line[at:], ']')
			if end < 0 {
				continue
			}
			info, data = line[at+3:at+end], line[at+end+1:]
		} else {
			continue
		}
		c := ghCommand{Name: info, Props: map[string]string{}}
		if name, props, ok := strings.Cut(info, " "); ok {
			c.Name = name
			for _, p := range strings.Split(strings.TrimSpace(props), ",") {
				if k, v, ok := strings.Cut(p, "="); ok && k != "" && v != "" {
					c.Props[k] = unesc(v, "%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%")
				}
			}
		}
		c.Data = unesc(data, "%0D", "\r", "%0A", "\n", "%25", "%")
		switch {
		case stopToken != "":
			if strings.EqualFold(c.Name, stopToken) {
				stopToken = ""
			}
		case !ghRegistered[c.Name]:
		case c.Name == "stop-commands":
			stopToken = c.Data
		default:
			cmds = append(cmds, c)
		}
	}
	return cmds
}

// TestRunAnnotatesStepsInGitHubActions: inside GitHub Actions, a run
// writes an ::error at each failed step of its playbook (a sub-playbook's
// step in the sub-playbook's file) and a ::warning at a step it went past,
// escaped so that the runner reads back the path, the title and the text,
// and with its secrets masked.
func TestRunAnnotatesStepsInGitHubActions(t *testing.T) {
	ws := t.TempDir()
	dir := filepath.Join(ws, "ops,a:b") // a comma and a colon in the path
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	pb := writePlaybook(t, dir, "main.yaml", `version: 1
name: main
inputs:
  tok: {type: string, secret: true, default: hunter2-value}
steps:
  - id: ok
    op: control.log
    with: {message: hi}
  - id: soft
    op: control.fail
    continue_on_error: true
    with: {message: "soft"}
  - id: call
    op: playbook.run
    with: {path: sub/child.yaml}
  - id: bad
    needs: []
    op: control.fail
    with: {message: "100% ${{ inputs.tok }}\nline two, x::y"}
`)
	writePlaybook(t, filepath.Join(dir, "sub"), "child.yaml", `version: 1
name: child
steps:
  - id: first
    op: control.log
    with: {message: x}
  - id: inner
    op: control.fail
    with: {message: inner broke}
`)
	vars := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": ws}
	res := runEnv(t, vars, "run", pb)
	if res.code != ExitFailed {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	want := []ghCommand{
		{Name: "warning", Props: map[string]string{"file": "ops,a:b/main.yaml", "line": "9", "col": "5", "title": "step soft (control.fail) failed; the run went on (continue_on_error)"},
			Data: "execution: soft"},
		{Name: "error", Props: map[string]string{"file": "ops,a:b/sub/child.yaml", "line": "7", "col": "5", "title": "step call/inner (control.fail) failed"},
			Data: "execution: inner broke"},
		{Name: "error", Props: map[string]string{"file": "ops,a:b/main.yaml", "line": "16", "col": "5", "title": "step bad (control.fail) failed"},
			Data: "execution: 100% ***\nline two, x::y"},
	}
	if diff := cmp.Diff(want, parseGHCommands(res.stdout)); diff != "" {
		t.Errorf("annotations (-want +got):\n%s\nstdout:\n%s", diff, res.stdout)
	}
	if strings.Contains(res.stdout, "hunter2") {
		t.Errorf("stdout holds the secret:\n%s", res.stdout)
	}

	// Outside GitHub Actions, none.
	res = runEnv(t, map[string]string{}, "run", pb)
	if cmds := parseGHCommands(res.stdout); len(cmds) > 0 {
		t.Errorf("annotations outside GitHub Actions: %v", cmds)
	}
}

// TestRunAnnotatesWhatStoppedItBeforeAnyStep: a run refused before any
// step still tells GitHub why: a playbook's problem at its position, a
// denied step of a sub-playbook in that file, and any other refusal with
// its message.
func TestRunAnnotatesWhatStoppedItBeforeAnyStep(t *testing.T) {
	ws := t.TempDir()
	bad := writePlaybook(t, ws, "bad.yaml", "version: 1\nname: v\nsteps:\n  - id: a\n    op: control.slep\n")
	if err := os.Mkdir(filepath.Join(ws, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	writePlaybook(t, filepath.Join(ws, "sub"), "rm.yaml", "version: 1\nname: rm\nsteps:\n  - id: note\n    op: control.log\n    with: {message: x}\n  - id: del\n    op: file.delete\n    with: {path: gone.txt}\n")
	den := writePlaybook(t, ws, "den.yaml", "version: 1\nname: d\nsteps:\n  - id: call\n    op: playbook.run\n    with: {path: sub/rm.yaml}\n")
	vars := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": ws}
	for _, c := range []struct {
		name string
		args []string
		code int
		want ghCommand
	}{
		{"invalid", []string{"run", bad}, ExitUsage, ghCommand{Name: "error", Props: map[string]string{"file": "bad.yaml", "line": "5", "col": "9"},
			Data: `unknown operation "control.slep" (did you mean "control.sleep"?); see 'arsenal-run ops list'`}},
		{"denied", []string{"run", den, "--role", "viewer"}, ExitDenied, ghCommand{Name: "error", Props: map[string]string{"file": "sub/rm.yaml", "line": "7", "col": "5", "title": "step call/del (file.delete) denied"},
			Data: "authorization: no rule of role viewer allows file.delete (risk destructive)"}},
		{"role", []string{"run", den, "--role", "oncal"}, ExitUsage, ghCommand{Name: "error", Props: map[string]string{"file": "den.yaml", "title": "arsenal-run run: nothing ran"},
			Data: "arsenal-run run: unknown role \"oncal\"; the built-in policy (no --policy) defines admin, operator, viewer\nRun 'arsenal-run run --help' for usage."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := runEnv(t, vars, c.args...)
			if res.code != c.code {
				t.Fatalf("exit %d, want %d\n%s%s", res.code, c.code, res.stdout, res.stderr)
			}
			if diff := cmp.Diff([]ghCommand{c.want}, parseGHCommands(res.stdout)); diff != "" {
				t.Errorf("annotations (-want +got):\n%s\nstdout:\n%s", diff, res.stdout)
			}
		})
	}
}

// TestGitHubAnnotationEscapes: what the runner reads back is what was
// meant, for text holding the escapes themselves.
func TestGitHubAnnotationEscapes(t *testing.T) {
	line := githubAnnotation("error", "a%2C,b:c%0A.yaml", steps.Pos{Line: 3, Col: 4}, "t: 50%, done", "x%0Ay\r\nz::w %25")
	got := parseGHCommands(line)
	want := []ghCommand{{Name: "error", Props: map[string]string{"file": "a%2C,b:c%0A.yaml", "line": "3", "col": "4", "title": "t: 50%, done"}, Data: "x%0Ay\r\nz::w %25"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s\nline: %s", diff, line)
	}
	if strings.ContainsAny(line, "\r\n") {
		t.Errorf("the command spans lines: %q", line)
	}
}

// TestRunKeepsStepsFromWritingWorkflowCommands: what a step prints (its
// live lines on stderr, the summary's tail of its output on stdout) is
// never read as a workflow command, neither an annotation it forges nor
// a ::stop-commands:: that would hide the run's own; the run's own
// annotations are.
func TestRunKeepsStepsFromWritingWorkflowCommands(t *testing.T) {
	ws := t.TempDir()
	pb := writePlaybook(t, ws, "inj.yaml", `version: 1
name: inj
steps:
  - id: body
    op: shell.exec
    with:
      script: |
        printf '::error title=forged::from a step\n'
        printf 'x ##[warning]old syntax\n'
        printf '  ::stop-commands::evil\n' >&2
        exit 3
`)
	var both syncBuffer // stdout and stderr in one, as `2>&1` gives the runner
	vars := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": ws}
	e := &env{
		stdin:       strings.NewReader(""),
		stdout:      &both,
		stderr:      &both,
		getenv:      func(k string) string { return vars[k] },
		newRegistry: NewRegistry,
	}
	if code := dispatch(e, []string{"run", pb}, commands()); code != ExitFailed {
		t.Fatalf("exit %d\n%s", code, both.String())
	}
	out := both.String()
	var names []string
	for _, c := range parseGHCommands(out) {
		names = append(names, c.Name+" "+c.Props["title"])
	}
	want := []string{"error step body (shell.exec) failed"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("workflow commands (-want +got):\n%s\noutput:\n%s", diff, out)
	}
}

// TestRunMasksAStepsAddMask: a step's own "::add-mask::VALUE", which the
// runner does not read while the run's output has commands stopped, is
// honoured by the run: VALUE shows in none of its output (the command's
// line, the live lines, the summary's tail of a failed step), its JSON
// log or its report.
func TestRunMasksAStepsAddMask(t *testing.T) {
	ws := t.TempDir()
	pb := writePlaybook(t, ws, "mask.yaml", `version: 1
name: mask
steps:
  - id: mint
    op: shell.exec
    with:
      script: |
        tok="tok-$((6*7))-zq"
        echo "::add-mask::$tok"
        echo "::add-mask::$tok" >&2
        echo "minted $tok"
        echo "failed with $tok" >&2
        exit 3
`)
	rep := filepath.Join(ws, "report.json")
	var both syncBuffer
	vars := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": ws}
	e := &env{
		stdin:       strings.NewReader(""),
		stdout:      &both,
		stderr:      &both,
		getenv:      func(k string) string { return vars[k] },
		newRegistry: NewRegistry,
	}
	if code := dispatch(e, []string{"run", "--log-format", "json", "--report", rep, pb}, commands()); code != ExitFailed {
		t.Fatalf("exit %d\n%s", code, both.String())
	}
	b, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	for what, text := range map[string]string{"the output": both.String(), "the report": string(b)} {
		if strings.Contains(text, "tok-42-zq") {
			t.Errorf("%s shows the masked value:\n%s", what, text)
		}
	}
	if !strings.Contains(both.String(), `::add-mask::***`) || !strings.Contains(both.String(), `minted ***`) {
		t.Errorf("the output lacks the masked lines:\n%s", both.String())
	}
}
