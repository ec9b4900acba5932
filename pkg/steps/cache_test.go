package steps

import (
	"strings"
	"testing"
)

// TestCacheKeyProblems: an empty cache.key, which would make every step of
// the op share one entry, is refused at its position; a key that reads its
// own step is refused with advice that fits a key, not retry's.
func TestCacheKeyProblems(t *testing.T) {
	reg := testRegistry(t)
	for _, tc := range []struct{ name, step, want string }{
		{"empty", `{id: s, op: control.set, with: {n: 1}, cache: {ttl: 1m, key: ""}}`,
			`p.yaml:4:66: cache.key is empty, so every step of control.set would share one entry whatever it does`},
		{"its own state", `{id: s, op: control.set, with: {n: 1}, cache: {ttl: 1m, key: "${{ steps.s.output.n }}"}}`,
			`step s cannot read its own state: it is not known until the step has run; read another step's, or an input`},
		{"foreach without item", `{id: s, op: control.set, foreach: "[1, 2]", with: {n: "${{ item }}"}, cache: {ttl: 1m, key: "v-${{ run.playbook }}"}}`,
			`p.yaml:4:97: cache.key of a foreach step reads neither item nor index, so all its items would share one entry`},
		{"matrix without item", `{id: s, op: control.set, foreach: {matrix: {a: [1, 2]}}, with: {n: "${{ item.a }}"}, cache: {ttl: 1m, key: fixed}}`,
			`cache.key of a foreach step reads neither item nor index`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte("version: 1\nname: c\nsteps:\n  - "+tc.step+"\n"), reg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v\nwant %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "retry") {
				t.Errorf("the advice is about retry: %v", err)
			}
		})
	}
}

// TestCacheKeyOfItems: a foreach step's cache.key that reads item or
// index, in any form, is accepted; the items of a key that reads neither
// answered one another within one run (see TestCacheKeyProblems).
func TestCacheKeyOfItems(t *testing.T) {
	reg := testRegistry(t)
	for _, key := range []string{`"${{ item }}"`, `"n-${{ index }}"`, `"${{ inputs.v }}/${{ string(item.n ?? 0) }}"`, `"${{ map([1], item) }}"`} {
		step := `{id: s, op: control.set, foreach: "[{n: 1}]", with: {n: "${{ item.n }}"}, cache: {ttl: 1m, key: ` + key + `}}`
		if _, err := Parse("p.yaml", []byte("version: 1\nname: c\ninputs: {v: {type: string, default: x}}\nsteps:\n  - "+step+"\n"), reg); err != nil {
			t.Errorf("key %s: %v", key, err)
		}
	}
}

// TestNameAndConfirmAreText: a step's name and its confirm: question are
// text. A list or map was shown or asked as JSON, and confirm: false, null
// or "" still asked a question, an empty one.
func TestNameAndConfirmAreText(t *testing.T) {
	reg := testRegistry(t)
	for _, tc := range []struct{ step, want string }{
		{`{id: a, op: control.noop, name: {k: v}}`, "p.yaml:4:37: name must be text"},
		{`{id: a, op: control.noop, name: null}`, "p.yaml:4:37: name must be text"},
		{`{id: a, op: control.noop, confirm: false}`, "p.yaml:4:40: confirm must be the question to ask"},
		{`{id: a, op: control.noop, confirm: [a, b]}`, "p.yaml:4:40: confirm must be the question to ask"},
		{`{id: a, op: control.noop, confirm: ""}`, "p.yaml:4:40: confirm must be the question to ask"},
		{`{id: a, op: control.set, with: {n: 1}, cache: {ttl: 1m, key: 5}}`, "cache.key must be a string"},
	} {
		_, err := Parse("p.yaml", []byte("version: 1\nname: c\nsteps:\n  - "+tc.step+"\n"), reg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v\nwant %q", tc.step, err, tc.want)
		}
	}
	if _, err := Parse("p.yaml", []byte("version: 1\nname: c\nsteps:\n  - {id: a, op: control.noop, name: 3, confirm: \"Go ${{ run.id }}?\"}\n"), reg); err != nil {
		t.Errorf("a number as a name and a question: %v", err)
	}
}

// TestEmptyRescueAndConcurrency: rescue: and concurrency: written with no
// value are refused, as rescue: [] is; concurrency: read as {} put every
// run in the playbook's group.
func TestEmptyRescueAndConcurrency(t *testing.T) {
	reg := testRegistry(t)
	for text, want := range map[string]string{
		"version: 1\nname: c\nsteps:\n  - id: a\n    op: control.noop\n    rescue:\n": "rescue is empty",
		"version: 1\nname: c\nconcurrency:\nsteps:\n  - {id: a, op: control.noop}\n":  "concurrency is empty",
	} {
		if _, err := Parse("p.yaml", []byte(text), reg); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}
}
