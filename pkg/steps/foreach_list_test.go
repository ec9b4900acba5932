package steps

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestForeachAsAYAMLList: foreach: takes a YAML list of literal values, as
// Ansible's loop: [a, b] is written, and it fans out over those values;
// an item that is an expression or reads as one (which YAML would make
// text) is refused naming the one expression to write instead.
func TestForeachAsAYAMLList(t *testing.T) {
	head := hostileHead + "inputs:\n  extra: {type: string, default: web-9}\nsteps:\n  - id: a\n    op: control.log\n    with: {message: x}\n    foreach: "
	pb, err := Parse("f.yaml", []byte(head+"[web-1, \"it's \\\"x\\\"\", 3, 2.5, true, null, {name: db, port: 5432}, [1, 2]]\n"), testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := pb.Steps[0].Foreach; got == nil {
		t.Fatal("no foreach expression")
	} else if diff := cmp.Diff(`["web-1", "it's \"x\"", 3, 2.5, true, nil, {"name": "db", "port": 5432}, [1, 2]]`, got.Source); diff != "" {
		t.Errorf("the list's expression (-want +got):\n%s", diff)
	}
	// A quoted item is the text, even one that reads like a name.
	pb, err = Parse("f.yaml", []byte(head+"[deploy.sh, \"run.sh\", 'env.prod']\n"), testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`["deploy.sh", "run.sh", "env.prod"]`, pb.Steps[0].Foreach.Source); diff != "" {
		t.Errorf("quoted items (-want +got):\n%s", diff)
	}
	for _, tc := range []struct{ list, want string }{
		{`[web-1, inputs.extra]`, `9:22: the items of a foreach list written in YAML are literal values, so "inputs.extra" would be that text; to compute them, write foreach as one expression, quoted: foreach: '["web-1", inputs.extra]'; or, for the text itself, quote it: "inputs.extra"`},
		{`[deploy.sh, run.sh]`, `9:26: the items of a foreach list written in YAML are literal values, so "run.sh" would be that text; to compute them, write foreach as one expression, quoted: foreach: '["deploy.sh", run.sh]'; or, for the text itself, quote it: "run.sh"`},
		{`["${{ inputs.extra + '-b' }}"]`, `9:15: the items of a foreach list written in YAML are literal values, so "inputs.extra + '-b'" would be that text; to compute them, write foreach as one expression, quoted: foreach: '[inputs.extra + ''-b'']'`},
		// A map item holding a whole ${{ }} is in the suggested list as
		// the map it meant, not as "".
		{`[{name: "${{ inputs.extra }}", port: 5432}, "${{ inputs.extra }}"]`, `9:58: the items of a foreach list written in YAML are literal values, so "inputs.extra" would be that text; to compute them, write foreach as one expression, quoted: foreach: '[{"name": inputs.extra, "port": 5432}, inputs.extra]'`},
		{`[[inputs.extra, "${{ inputs.extra }}"], inputs.extra]`, `9:54: the items of a foreach list written in YAML are literal values, so "inputs.extra" would be that text; to compute them, write foreach as one expression, quoted: foreach: '[["inputs.extra", inputs.extra], inputs.extra]'; or, for the text itself, quote it: "inputs.extra"`},
		// ${{ }} inside other text has no one expression: no list is
		// suggested rather than one without it.
		{`[{name: "db-${{ inputs.extra }}"}, inputs.extra]`, `9:49: the items of a foreach list written in YAML are literal values, so "inputs.extra" would be that text; to compute them, write foreach as one expression giving the list; or, for the text itself, quote it: "inputs.extra"`},
		{`[{name: "${{ inputs.extra }}"}]`, `9:22: a foreach list written in YAML holds literal values, and ${{ }} is not read in it; to compute its items, write foreach as one expression giving the list`},
	} {
		got := diagMsgs(t, head+tc.list+"\n", testRegistry(t))
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("foreach: %s\ngot  %q\nwant %q", tc.list, got, tc.want)
		}
	}
}
