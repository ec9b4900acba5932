package steps

import (
	"context"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestScriptArgvVar: a secret variable the script expands among a
// program's arguments is found, with the program and line; one in an
// assignment, a redirection, a here-document, single quotes, a comment or
// a builtin's words is not.
func TestScriptArgvVar(t *testing.T) {
	secret := map[string]string{"TOKEN": "token"}
	for script, want := range map[string]string{
		`curl -u "admin:$TOKEN" https://x`:                                             "TOKEN curl 1",
		"set -e\ncurl -sf \\\n  -H \"Authorization: Bearer ${TOKEN}\" \\\n  https://x": "TOKEN curl 2",
		`echo start; /usr/bin/mysql -p$TOKEN db`:                                       "TOKEN mysql 1",
		`if true; then exec psql "$TOKEN"; fi`:                                         "TOKEN psql 1",
		`X=1 docker login -p "$TOKEN"`:                                                 "TOKEN docker 1",
		`printf '%s' "$TOKEN" | docker login --password-stdin`:                         "",
		`echo "$TOKEN" > /run/token`:                                                   "",
		`curl -H @/run/h https://x > "$TOKEN.log"`:                                     "",
		"psql <<EOF\nALTER USER app PASSWORD '$TOKEN';\nEOF\necho done":                "",
		"cat <<-'END'\n\tcurl $TOKEN\n\tEND":                                           "",
		`curl '$TOKEN' https://x`:                                                      "",
		`curl https://x # with $TOKEN`:                                                 "",
		`AUTH="Bearer $TOKEN" ./call.sh`:                                               "",
		`[ -n "$TOKEN" ] && export TOKEN`:                                              "",
		`curl -H "$TOKENS" https://x`:                                                  "",
		`curl -H \$TOKEN https://x`:                                                    "",
	} {
		name, prog, line := scriptArgvVar(script, secret)
		got := ""
		if name != "" {
			got = name + " " + prog + " " + string(rune('0'+line))
		}
		if got != want {
			t.Errorf("%q: %q, want %q", script, got, want)
		}
	}
}

// TestSecretInScriptArgumentsWarned: validate warns of a script that
// expands an env variable reading a secret input among a program's
// arguments, through the step's env or the playbook's, and not of one
// that pipes it to the program's stdin, nor of a plain input's.
func TestSecretInScriptArgumentsWarned(t *testing.T) {
	r := testRegistry(t)
	nop := ops.Func(func(context.Context, ops.Params) (map[string]any, error) { return map[string]any{}, nil })
	r.MustRegister(ops.Spec{Name: "shell.exec", Description: "runs a program", Risk: ops.RiskWrite, Params: []ops.Param{
		{Name: "script", Type: ops.TypeString, NoInterpolation: true},
		{Name: "shell", Type: ops.TypeAny},
	}}, nop)
	src := `version: 1
name: p
inputs:
  token: {type: string, secret: true}
  user: {type: string, default: bob}
  key: {type: string, secret: true, env: DEPLOY_KEY}
env:
  TOKEN: "${{ inputs.token }}"
steps:
  - id: a
    op: shell.exec
    with: {script: "curl -fsS -u \"admin:$TOKEN\" https://x"}
  - id: b
    op: shell.exec
    env: {PASS: "${{ inputs.token }}", WHO: "${{ inputs.user }}"}
    with:
      script: |
        echo "$WHO"
        mysql -u "$WHO" -p"$PASS" app
  - id: c
    op: shell.exec
    with: {script: "printf '%s' \"$TOKEN\" | docker login --password-stdin"}
  - id: d
    op: shell.exec
    env: {TOKEN: "${{ inputs.user }}"}
    with: {script: "curl -u \"$TOKEN\" https://x"}
  - id: e
    op: shell.exec
    with: {shell: [python3, -c], script: "print('$TOKEN')"}
  - id: f
    op: shell.exec
    with: {shell: bash, script: "rsync -e \"ssh -i $DEPLOY_KEY\" a b:"}
  - id: g
    op: shell.exec
    with: {shell: "${{ inputs.user }}", script: "curl -u \"$TOKEN\" https://x"}
`
	warns := parseWarnings(t, src, r)
	want := []string{
		"p.yaml:12:20: warning: the script of step a expands $TOKEN (env.TOKEN, which reads inputs.token, a secret) in the arguments of curl on line 1, which any user of the host can read with ps while it runs",
		"p.yaml:17:15: warning: the script of step b expands $PASS (env.PASS, which reads inputs.token, a secret) in the arguments of mysql on line 2",
		"p.yaml:32:33: warning: the script of step f expands $DEPLOY_KEY (the variable secret input key is read from) in the arguments of rsync on line 1",
	}
	if len(warns) != len(want) {
		t.Fatalf("warnings = %q, want %d", warns, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(warns[i], w) {
			t.Errorf("warning %d = %q, want it to start %q", i, warns[i], w)
		}
	}
}
