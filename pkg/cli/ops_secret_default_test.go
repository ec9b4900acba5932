package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpsDescribeHidesASecretDefault: the default of a secret param (a
// plugin's writeOnly one) is a credential: ops describe shows that there
// is one, never its value.
func TestOpsDescribeHidesASecretDefault(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "p.prog"), []byte("#!/bin/sh\necho '{}'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	manifest := `version: 1
name: acme.sd
category: acme
description: A test.
risk: read
command: [./p.prog]
params:
  type: object
  properties:
    token: {type: string, writeOnly: true, default: hunter2-default}
    level: {type: integer, default: 7}
`
	if err := os.WriteFile(filepath.Join(dir, "sd.yaml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runMain(t, "ops", "describe", "acme.sd", "--plugins", dir)
	r.want(t, ExitOK, []string{"token  string   no        ***", "level  integer  no        7"}, nil)
	if strings.Contains(r.stdout+r.stderr, "hunter2") {
		t.Errorf("the secret default is shown:\n%s", r.stdout)
	}
}
