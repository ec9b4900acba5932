package cli

import "testing"

// TestInputWithoutEqualsSaysHowToWriteIt: --input given a bare name, or
// name:value as YAML writes it, is refused (nothing runs) showing the
// flag as it should be written; a URL's colon is not taken for one.
func TestInputWithoutEqualsSaysHowToWriteIt(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "h.yaml", "version: 1\nname: h\ninputs:\n  times: {type: integer, default: 3}\n  who: {type: string, default: world}\nsteps:\n  - {id: a, op: control.noop}\n")
	for _, tc := range []struct{ kv, want string }{
		{"times", `--input "times": write it as name=value, like --input times=VALUE`},
		{"times:5", `--input "times:5": write it as name=value, --input times=5`},
		{"who: the team", `--input "who: the team": write it as name=value, --input 'who=the team'`},
		{"https://example.com", `--input "https://example.com": write it as name=value` + "\n"},
	} {
		runMain(t, "run", pb, "--input", tc.kv).want(t, ExitUsage, nil, []string{tc.want, "nothing ran"})
	}
}

// TestBoolInputYesSaysWhichItMeans: a bool input given a word that other
// tools read as a boolean (yes, off) is refused saying which of true and
// false it means; nothing runs.
func TestBoolInputYesSaysWhichItMeans(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "b.yaml", "version: 1\nname: b\ninputs:\n  dry: {type: bool, default: false}\nsteps:\n  - {id: a, op: control.noop}\n")
	runMain(t, "run", pb, "--input", "dry=yes").want(t, ExitUsage, nil, []string{`inputs: dry: want true or false, got "yes"; write true`, "nothing ran"})
	runMain(t, "run", pb, "--input", "dry=Off").want(t, ExitUsage, nil, []string{`inputs: dry: want true or false, got "Off"; write false`, "nothing ran"})
}
