package cli

import (
	"bytes"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/pkg/server"
)

// TestKeysNewNameThatYAMLReadsAsAnotherType: a name that plain YAML
// would read as a bool, a null or a number is quoted in the printed
// entry, which then loads with the name as given; so is one that YAML
// 1.1 tools read as a bool.
func TestKeysNewNameThatYAMLReadsAsAnotherType(t *testing.T) {
	for name, quoted := range map[string]bool{"true": true, "False": true, "TRUE": true, "null": true, "NULL": true, "Null": true,
		"yes": true, "No": true, "on": true, "OFF": true, "y": true, "n": true, "x1": false, "ci": false, "nully": false} {
		r := runMain(t, "keys", "new", "--name", name, "--role", "viewer")
		if r.code != ExitOK {
			t.Errorf("--name %s: exit %d\n%s", name, r.code, r.stderr)
			continue
		}
		lines := strings.Split(r.stderr, "\n")
		entry := lines[len(lines)-2]
		if _, err := server.ParseKeys("keys.yaml", []byte("version: 1\nkeys:\n"+entry+"\n")); err != nil {
			t.Errorf("--name %s: the printed entry does not load: %v\n%s", name, err, entry)
		}
		var got []map[string]any
		if err := yaml.Unmarshal([]byte(entry), &got); err != nil || len(got) != 1 || got[0]["name"] != name {
			t.Errorf("--name %s: the entry reads back as name %#v (%v): %s", name, got, err, entry)
		}
		if strings.Contains(entry, "{name: "+name+",") == quoted {
			t.Errorf("--name %s: quoted %v, want %v: %s", name, !quoted, quoted, entry)
		}
	}
}

// TestKeysNewPrintsNoEntryForAKeyNotWritten: when the key cannot be
// written to standard output (a full disk, a reader gone), no entry for
// it is printed, since no one holds the key; the command fails.
func TestKeysNewPrintsNoEntryForAKeyNotWritten(t *testing.T) {
	for _, err := range []error{syscall.ENOSPC, syscall.EPIPE} {
		var errb bytes.Buffer
		code := Main([]string{"keys", "new", "--name", "ci", "--role", "viewer"}, strings.NewReader(""), failingWriter{err}, &errb)
		if code != ExitFailed || strings.Contains(errb.String(), "sha256") || !strings.Contains(errb.String(), "no entry for it is printed") {
			t.Errorf("%v on stdout: exit %d, stderr:\n%s", err, code, errb.String())
		}
	}
}

// TestKeysNewRoleOnce: a role given twice is in the entry once, as the
// policy reads a key's roles as a set.
func TestKeysNewRoleOnce(t *testing.T) {
	r := runMain(t, "keys", "new", "--name", "ci", "--role", "admin", "--role", "operator", "--role", "admin")
	r.want(t, ExitOK, nil, []string{"roles: [admin, operator]"})
}

// TestKeysNewNamesAnArgumentItDoesNotTake: an argument after 'keys new'
// is named in the usage error; one alone where --name was left out is
// most likely the key's name, and the error says how to give it.
func TestKeysNewNamesAnArgumentItDoesNotTake(t *testing.T) {
	r := runMain(t, "keys", "new", "alice", "--role", "viewer")
	r.want(t, ExitUsage, nil, []string{`keys new takes no arguments, only flags: unexpected "alice"; to name the key, give --name "alice"`})
	r = runMain(t, "keys", "new", "x", "y", "--name", "ci", "--role", "viewer")
	r.want(t, ExitUsage, nil, []string{`keys new takes no arguments, only flags: unexpected "x y"`})
	if strings.Contains(r.stderr, "give --name") || r.stdout != "" {
		t.Errorf("stdout %q, stderr:\n%s", r.stdout, r.stderr)
	}
}

// TestKeysNewOffersOnlyANameItTakes: an argument that --name would refuse
// (a space in it, a slash) is not offered as `--name "bad name"`, which
// the next try would be refused for; the error says what a name holds.
func TestKeysNewOffersOnlyANameItTakes(t *testing.T) {
	for _, arg := range []string{"bad name", "team/ci", ""} {
		r := runMain(t, "keys", "new", arg, "--role", "viewer")
		r.want(t, ExitUsage, nil, []string{`to name the key, give --name NAME (key name ` + strconv.Quote(arg) + `: use up to 64 letters, digits, _ . @ and -)`})
		if strings.Contains(r.stderr, "--name "+strconv.Quote(arg)) || r.stdout != "" {
			t.Errorf("keys new %q: stdout %q, stderr:\n%s", arg, r.stdout, r.stderr)
		}
	}
}

// TestKeysNewSaysWhichFlagIsMissing: 'keys new' without --name or without
// --role names the one left out, and for --role the roles the policy
// defines; no key is printed.
func TestKeysNewSaysWhichFlagIsMissing(t *testing.T) {
	r := runMain(t, "keys", "new", "--role", "viewer")
	r.want(t, ExitUsage, nil, []string{"--name is missing: give who the key is for, the name the audit log records, like 'keys new --name ci --role operator'"})
	r = runMain(t, "keys", "new", "--name", "ci")
	r.want(t, ExitUsage, nil, []string{"--role is missing: give the key at least one role, --role R (repeatable); the built-in policy (no --policy) defines admin, operator, viewer"})
	if r.stdout != "" {
		t.Errorf("a key was printed: %q", r.stdout)
	}
}
