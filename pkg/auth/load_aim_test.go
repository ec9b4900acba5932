package auth

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops/httpreq"
	"github.com/arsenal-run/arsenal-run/pkg/ops/notify"
)

const aimedRunbook = `version: 1
name: page
inputs:
  hook: {type: string, secret: true, default: "https://hooks.example.com/T0KEN"}
  api: {type: string, secret: true, default: "https://api.example.com/"}
  pinned: {type: string, secret: true, default: "https://a.example.com/", pattern: "https://a[.]example[.]com/.*"}
  token: {type: string, secret: true, default: ""}
steps:
  - id: call
    op: http.request
    with:
      url: ${{ inputs.api }}
      headers: {Authorization: "Bearer ${{ inputs.token }}"}
  - id: other
    op: http.request
    with: {url: "${{ inputs.pinned }}"}
notify:
  - id: chat
    on: [failure]
    webhook:
      url: ${{ inputs["hook"] }}
`

// TestGrantWarnsOfSecretThatAims checks that a grant leaving a secret
// input unconstrained, where the runbook uses that input as the address
// an operation connects to (a notify webhook's url, an http.request url),
// is a warning when the policy loads, naming the grant, the input, where
// the runbook uses it and the fix: a caller could otherwise send the
// granted role's requests, and the secrets they carry, anywhere. A secret
// used as a credential only, one the runbook constrains, and one the grant
// pins are not.
func TestGrantWarnsOfSecretThatAims(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "runbooks/page.yaml", aimedRunbook)
	reg := testRegistry(t)
	if err := httpreq.Register(reg, nil); err != nil {
		t.Fatal(err)
	}
	if err := notify.Register(reg); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "policy.yaml")
	for _, tc := range []struct {
		name, grant string
		warns       []string
	}{
		{"unpinned", `{path: runbooks/page.yaml, as: admin}`, []string{
			file + `:5:16: warning: role oncall's grant of "runbooks/page.yaml" as admin leaves secret input hook free, yet the runbook uses it as the address notify.webhook's url connects to (notify entry chat, runbooks/page.yaml:21:12), so a caller may send role admin's requests, and what they carry, anywhere; pin it in the grant (inputs: {hook: ["https://…"]}), or give the runbook's input a pattern`,
			file + `:5:16: warning: role oncall's grant of "runbooks/page.yaml" as admin leaves secret input api free, yet the runbook uses it as the address http.request's url connects to (step call, runbooks/page.yaml:12:12), so a caller may send role admin's requests, and what they carry, anywhere; pin it in the grant (inputs: {api: ["https://…"]}), or give the runbook's input a pattern`,
		}},
		{"pinned", `{path: runbooks/page.yaml, as: admin, inputs: {hook: ["https://hooks.example.com/T0KEN"], api: {pattern: "https://api[.]example[.]com/.*"}}}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePolicy(file, []byte("version: 1\nroles:\n  oncall:\n    playbooks:\n      - "+tc.grant+"\n"), reg)
			if err != nil {
				t.Fatal(err)
			}
			var warns []string
			for _, w := range p.Warnings {
				warns = append(warns, w.Error())
			}
			if diff := cmp.Diff(tc.warns, warns); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGrantWarnsOfSecretThatAimsThroughVars checks that the warning
// follows a secret input through the runbook's vars and env variables: a
// var built from the webhook input, used as the notify url through
// another var, aims the granted role's requests as the input itself
// would, and the warning said nothing of it. A var built from a secret
// used as a credential only is no aim.
func TestGrantWarnsOfSecretThatAimsThroughVars(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "runbooks/page.yaml", `version: 1
name: page
inputs:
  hook: {type: string, secret: true, default: "https://hooks.example.com/T0KEN"}
  api: {type: string, secret: true, default: "https://api.example.com"}
  token: {type: string, secret: true, default: ""}
vars:
  base: "${{ inputs.hook }}"
  url: "${{ vars.base }}/chat"
  auth: "Bearer ${{ inputs.token }}"
env:
  API: "${{ inputs['api'] }}"
steps:
  - id: call
    op: http.request
    with:
      url: "${{ env.API }}/v1"
      headers: {Authorization: "${{ vars.auth }}"}
notify:
  - id: chat
    on: [failure]
    webhook:
      url: ${{ vars["url"] }}
`)
	reg := testRegistry(t)
	if err := httpreq.Register(reg, nil); err != nil {
		t.Fatal(err)
	}
	if err := notify.Register(reg); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "policy.yaml")
	p, err := ParsePolicy(file, []byte("version: 1\nroles:\n  oncall:\n    playbooks:\n      - {path: runbooks/page.yaml, as: admin}\n"), reg)
	if err != nil {
		t.Fatal(err)
	}
	var warns []string
	for _, w := range p.Warnings {
		warns = append(warns, w.Error())
	}
	want := []string{
		file + `:5:16: warning: role oncall's grant of "runbooks/page.yaml" as admin leaves secret input hook free, yet the runbook uses it (through vars.url) as the address notify.webhook's url connects to (notify entry chat, runbooks/page.yaml:23:12), so a caller may send role admin's requests, and what they carry, anywhere; pin it in the grant (inputs: {hook: ["https://…"]}), or give the runbook's input a pattern`,
		file + `:5:16: warning: role oncall's grant of "runbooks/page.yaml" as admin leaves secret input api free, yet the runbook uses it (through env.API) as the address http.request's url connects to (step call, runbooks/page.yaml:17:12), so a caller may send role admin's requests, and what they carry, anywhere; pin it in the grant (inputs: {api: ["https://…"]}), or give the runbook's input a pattern`,
	}
	if diff := cmp.Diff(want, warns); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// TestGrantWarnsOfSecretThatAimsThroughSteps checks that the warning
// follows a secret input through what a step gives on: a control.set
// output built from it (through another control.set), and a fan-out's
// item over a list that holds it. Used as an
// address, each aims the granted role's requests as the input would, and
// the warning said nothing of them. A control.set output built from a
// credential only is no aim.
func TestGrantWarnsOfSecretThatAimsThroughSteps(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "runbooks/page.yaml", `version: 1
name: page
inputs:
  hook: {type: string, secret: true, default: "https://hooks.example.com/T0KEN"}
  api: {type: string, secret: true, default: "https://api.example.com"}
  token: {type: string, secret: true, default: ""}
steps:
  - id: first
    op: control.set
    with: {base: "${{ inputs.hook }}", auth: "Bearer ${{ inputs.token }}"}
  - {id: pick, op: control.set, with: {url: "${{ steps.first.output.base }}"}}
  - {id: cred, op: control.set, with: {auth: "${{ steps.first.output.auth }}"}}
  - id: call
    op: http.request
    with:
      url: "${{ steps.pick.output.url }}/v1"
      headers: {Authorization: "${{ steps.cred.output.auth }}"}
  - id: each
    op: http.request
    foreach: '${{ ["https://a.example.com", inputs.api] }}'
    with: {url: "${{ item }}"}
`)
	reg := testRegistry(t)
	if err := httpreq.Register(reg, nil); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "policy.yaml")
	p, err := ParsePolicy(file, []byte("version: 1\nroles:\n  oncall:\n    playbooks:\n      - {path: runbooks/page.yaml, as: admin}\n"), reg)
	if err != nil {
		t.Fatal(err)
	}
	var warns []string
	for _, w := range p.Warnings {
		warns = append(warns, w.Error())
	}
	want := []string{
		file + `:5:16: warning: role oncall's grant of "runbooks/page.yaml" as admin leaves secret input hook free, yet the runbook uses it (through steps.pick.output.url) as the address http.request's url connects to (step call, runbooks/page.yaml:16:12), so a caller may send role admin's requests, and what they carry, anywhere; pin it in the grant (inputs: {hook: ["https://…"]}), or give the runbook's input a pattern`,
		file + `:5:16: warning: role oncall's grant of "runbooks/page.yaml" as admin leaves secret input api free, yet the runbook uses it (through item: the step's foreach lists it) as the address http.request's url connects to (step each, runbooks/page.yaml:21:17), so a caller may send role admin's requests, and what they carry, anywhere; pin it in the grant (inputs: {api: ["https://…"]}), or give the runbook's input a pattern`,
	}
	if diff := cmp.Diff(want, warns); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// TestGrantWarnsOfSecretThatAimsThroughASubPlaybook: a secret input the
// grant leaves free that the runbook passes to a sub-playbook, which uses
// it as the address an operation connects to, aims the granted role's
// requests as much as one the runbook uses itself: the warning names the
// sub-playbook's step and line. A sub-playbook whose input bounds it with
// a pattern is no aim.
func TestGrantWarnsOfSecretThatAimsThroughASubPlaybook(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "runbooks/fwd.yaml", `version: 1
name: fwd
inputs:
  hook: {type: string, secret: true, default: "https://hooks.example.com/T0KEN"}
steps:
  - {id: send, op: playbook.run, with: {path: lib/send.yaml, inputs: {url: "${{ inputs.hook }}"}}}
  - {id: safe, op: playbook.run, with: {path: lib/bounded.yaml, inputs: {url: "${{ inputs.hook }}"}}}
`)
	send := `version: 1
name: send
inputs:
  url: {type: string}
steps:
  - id: call
    op: http.request
    with: {url: "${{ inputs.url }}"}
`
	writeFile(t, dir, "runbooks/lib/send.yaml", send)
	writeFile(t, dir, "runbooks/lib/bounded.yaml", strings.Replace(send, "{type: string}", `{type: string, pattern: "^https://hooks[.]example[.]com/"}`, 1))
	reg := testRegistry(t)
	if err := httpreq.Register(reg, nil); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "policy.yaml")
	p, err := ParsePolicy(file, []byte("version: 1\nroles:\n  oncall:\n    playbooks:\n      - {path: runbooks/fwd.yaml, as: admin}\n"), reg)
	if err != nil {
		t.Fatal(err)
	}
	var warns []string
	for _, w := range p.Warnings {
		warns = append(warns, w.Error())
	}
	want := []string{file + `:5:16: warning: role oncall's grant of "runbooks/fwd.yaml" as admin leaves secret input hook free, yet the runbook uses it (passed to lib/send.yaml as its input url) as the address http.request's url connects to (step call of lib/send.yaml, run by step send, runbooks/lib/send.yaml:8:17), so a caller may send role admin's requests, and what they carry, anywhere; pin it in the grant (inputs: {hook: ["https://…"]}), or give the runbook's input a pattern`}
	if diff := cmp.Diff(want, warns); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}
