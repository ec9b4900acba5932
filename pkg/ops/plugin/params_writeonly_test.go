package plugin_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestNestedWriteOnlyParamIsRefused: only a top-level param can be
// secret, masked whole in the audit log, history and reports; writeOnly
// deeper in the params schema, which would leave the value in clear
// there, is refused at its position, as it is in the output schema.
func TestNestedWriteOnlyParamIsRefused(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "ok.prog", "#!/bin/sh\necho '{}'\n", 0o755)
	write(t, dir, "n.yaml", "name: acme.n\n"+head+`params:
  type: object
  properties:
    token: {type: string, writeOnly: true}
    creds:
      type: object
      properties:
        user: {type: string}
        password: {type: string, writeOnly: true}
`, 0o644)
	_, got := loadDiags(t, dir)
	want := []string{"n.yaml:15:34: params.properties.creds.properties.password: writeOnly marks only a top-level params property secret, like params.properties.token.writeOnly; make the secret a param of its own, or drop writeOnly"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}
