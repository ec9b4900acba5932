package plugin_test

import (
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/plugin"
)

// TestSchemaKeywordTypos: a key of the params or output schema that is no
// JSON Schema keyword is an error at its position, with the keyword it
// was likely meant to be: a validator ignores it, so a misspelt required
// or pattern would check nothing. x- keys and the keywords under
// properties, items and allOf are read as such.
func TestSchemaKeywordTypos(t *testing.T) {
	data := "version: 1\nname: acme.p\ncategory: acme\ndescription: A test.\nrisk: read\ncommand: [/bin/sh]\n" +
		"params:\n" +
		"  type: object\n" +
		"  x-owner: team-a\n" +
		"  properties:\n" +
		"    host: {type: string, patern: '^[a-z]+$', title: Host}\n" +
		"    tags: {type: array, items: {type: string, maxLenght: 5}}\n" +
		"    mode: {allOf: [{enum: [a, b]}, {minlength: 1}]}\n" +
		"  requried: [host]\n" +
		"output:\n" +
		"  type: object\n" +
		"  propertes: {x: {type: string}}\n"
	_, err := plugin.ParseManifest("p.yaml", []byte(data))
	if err == nil {
		t.Fatal("want errors")
	}
	for _, w := range []string{
		`p.yaml:11:26: params.properties.host.patern: "patern" is not a JSON Schema keyword (did you mean "pattern"?)`,
		`p.yaml:12:47: params.properties.tags.items.maxLenght: "maxLenght" is not a JSON Schema keyword (did you mean "maxLength"?)`,
		`params.properties.mode.allOf.1.minlength: "minlength" is not a JSON Schema keyword (did you mean "minLength"?)`,
		`p.yaml:14:3: params.requried: "requried" is not a JSON Schema keyword (did you mean "required"?)`,
		`p.yaml:17:3: output.propertes:`,
		"correct it, or start an annotation of your own with x-",
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not say %q:\n%v", w, err)
		}
	}
	for _, no := range []string{"x-owner", "title", "params.properties.host.type"} {
		if strings.Contains(err.Error(), no) {
			t.Errorf("error refuses %s:\n%v", no, err)
		}
	}
}
