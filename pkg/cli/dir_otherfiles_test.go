package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The files SREs keep beside their playbooks: an inventory, the policy, a
// keys file. validate, schedule and serve read the directory alike: they
// leave those out (validate says so), and a file named directly is still
// told what it is.
func TestPlaybooksDirBesideInventoryPolicyAndKeys(t *testing.T) {
	inv, err := os.ReadFile("../../docs/examples/inventory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	playbookDir(t, map[string]string{
		"books/nightly.yaml": `version: 1
name: nightly
schedule: {cron: "30 2 * * *"}
steps:
  - {id: hi, op: control.log, with: {message: hi}}
`,
		"books/adhoc.yaml":     goodPlaybook,
		"books/inventory.yaml": string(inv),
		"books/policy.yaml":    "version: 1\nroles:\n  oncall: {max_risk: write}\n",
		"books/keys.yaml":      "version: 1\nkeys: []\n",
	})
	r := runEnv(t, nil, "validate", "books")
	r.want(t, ExitOK, []string{
		"skip  " + filepath.Join("books", "inventory.yaml") + ": an inventory (hosts, groups), not a playbook; give it with --inventory FILE",
		"skip  " + filepath.Join("books", "keys.yaml") + ": a keys file (keys), not a playbook; give it to serve with --keys FILE",
		"skip  " + filepath.Join("books", "policy.yaml") + ": a policy (roles), not a playbook; give it with --policy FILE",
		"all 2 playbooks are valid",
	}, nil)
	// The policy in force is protected from file operations, and still
	// no playbook.
	runEnv(t, nil, "validate", "books", "--policy", "books/policy.yaml", "--role", "oncall").
		want(t, ExitOK, []string{"skip  " + filepath.Join("books", "policy.yaml") + ": arsenal-run's policy file, given by a flag; not a playbook"}, nil)
	r = runEnv(t, nil, "schedule", "books", "--next", "1")
	r.want(t, ExitOK, []string{`nightly (books/nightly.yaml): cron "30 2 * * *"`}, nil)
	if strings.Contains(r.stderr, "inventory") {
		t.Errorf("schedule DIR read the inventory as a playbook:\n%s", r.stderr)
	}
	// Named directly, it is said what it is and which flag takes it.
	runEnv(t, nil, "validate", "books/inventory.yaml").
		want(t, ExitUsage, nil, []string{"books/inventory.yaml:6:1: this is an inventory (hosts, groups), not a playbook: give it to run, validate, schedule or serve with --inventory FILE"})
}

// An editor's lock (Emacs links .#FILE to nowhere while FILE is open), a
// CI tool's settings and a sub-directory named like a playbook do not
// stop validate or schedule from reading the playbooks beside them.
func TestPlaybooksDirBesideHiddenFilesAndSubdirectories(t *testing.T) {
	dir := playbookDir(t, map[string]string{
		"books/nightly.yaml": `version: 1
name: nightly
schedule: {cron: "30 2 * * *"}
steps:
  - {id: hi, op: control.log, with: {message: hi}}
`,
		"books/.gitlab-ci.yml":       "stages: [test]\n",
		"books/old.yaml/deploy.yaml": goodPlaybook,
		"books/.nightly.yaml.swp":    "\x00vim swap",
		"books/nightly.yaml~":        "version: 1\n",
	})
	if err := os.Symlink("sre@host.4242:1700000000", filepath.Join(dir, "books", ".#nightly.yaml")); err != nil {
		t.Fatal(err)
	}
	r := runEnv(t, nil, "validate", "books")
	r.want(t, ExitOK, []string{
		"skip  " + filepath.Join("books", ".#nightly.yaml") + ": a hidden file",
		"skip  " + filepath.Join("books", ".gitlab-ci.yml") + ": a hidden file",
		"skip  " + filepath.Join("books", "old.yaml") + ": a directory",
		"ok  " + filepath.Join("books", "nightly.yaml"),
	}, nil)
	if strings.Contains(r.stdout, "swp") || strings.Contains(r.stdout, "~") {
		t.Errorf("an editor's backup was named:\n%s", r.stdout)
	}
	runEnv(t, nil, "schedule", "books", "--next", "1").
		want(t, ExitOK, []string{`nightly (books/nightly.yaml): cron "30 2 * * *"`}, nil)
}

// Two playbooks of one name in a directory, here a link kept as an alias:
// serve --playbooks and schedule refuse the directory, so validate DIR
// does not call it valid, and says so at the second one's name: key.
func TestValidateDirSaysANameUsedTwice(t *testing.T) {
	dir := playbookDir(t, map[string]string{"books/deploy.yaml": goodPlaybook, "books/z.yaml": goodPlaybook})
	if err := os.Symlink("deploy.yaml", filepath.Join(dir, "books", "current.yaml")); err != nil {
		t.Fatal(err)
	}
	r := runEnv(t, nil, "validate", "books")
	r.want(t, ExitUsage, []string{"ok  " + filepath.Join("books", "current.yaml")}, []string{
		filepath.Join("books", "deploy.yaml") + ":2:1: playbook name good is also used by " + filepath.Join("books", "current.yaml") + ":2:1; serve --playbooks and schedule refuse two playbooks of one name: rename one of them",
		filepath.Join("books", "z.yaml") + ":2:1: playbook name good is also used by " + filepath.Join("books", "current.yaml") + ":2:1",
		"2 of 3 playbooks have problems (2 errors)",
	})
	// Files named one by one may share a name, as run takes them.
	runEnv(t, nil, "validate", "books/deploy.yaml", "books/z.yaml").want(t, ExitOK, []string{"all 2 playbooks are valid"}, nil)
}

// A file reached twice, as a directory and a file of it are given (or a
// directory twice, playbooks and playbooks/), is checked once: it is not
// another playbook of its name, to rename.
func TestValidateAFileGivenTwiceIsCheckedOnce(t *testing.T) {
	playbookDir(t, map[string]string{"books/deploy.yaml": goodPlaybook, "books/z.yaml": strings.Replace(goodPlaybook, "name: good", "name: z", 1), "books/.#lock.yaml": ""})
	for _, args := range [][]string{
		{"books", "books/deploy.yaml"},
		{"books", "books/"},
		{"books/deploy.yaml", "./books/deploy.yaml", "books"},
	} {
		r := runEnv(t, nil, append([]string{"validate"}, args...)...)
		r.want(t, ExitOK, []string{"all 2 playbooks are valid"}, nil)
		if n := strings.Count(r.stdout, "deploy.yaml"); n != 1 {
			t.Errorf("%q: deploy.yaml checked %d times:\n%s", args, n, r.stdout)
		}
		if n := strings.Count(r.stdout, "skip"); n != 1 {
			t.Errorf("%q: %d skip lines for one hidden file:\n%s", args, n, r.stdout)
		}
	}
}
