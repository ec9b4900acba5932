package cli

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOpsList(t *testing.T) {
	r := runMain(t, "ops", "list")
	r.want(t, ExitOK, []string{"NAME", "RISK", "DESCRIPTION"}, nil)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var names []string
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		names = append(names, f[0])
		if f[1] != "read" && f[1] != "write" && f[1] != "destructive" {
			t.Errorf("risk column of %q", l)
		}
	}
	want := []string{"control.assert", "control.fail", "control.log", "control.noop", "control.set", "control.sleep"}
	for _, w := range want {
		if !contains(names, w) {
			t.Errorf("ops list does not list %s:\n%s", w, r.stdout)
		}
	}
	r = runMain(t, "ops", "list", "--category", "control")
	r.want(t, ExitOK, []string{"control.sleep"}, nil)
	runMain(t, "ops", "list", "--category", "contro").want(t, ExitUsage, nil, []string{`unknown category "contro" (did you mean "control"?)`})
	runMain(t, "ops", "list", "control.log").want(t, ExitUsage, nil, []string{"ops describe control.log"})
}

func TestOpsDescribeSleep(t *testing.T) {
	r := runMain(t, "ops", "describe", "control.sleep")
	want := `control.sleep
  Wait for a duration; ends early, as cancelled, when the run is cancelled.

Risk: read

Params:
  NAME      TYPE      REQUIRED  DEFAULT  ALLOWED  DESCRIPTION
  duration  duration  yes       -        <= 24h   how long to wait, e.g. 500ms or 2m

Output:
  FIELD  TYPE    DESCRIPTION
  slept  string  the duration waited

Read it in later steps as steps.<id>.output.<field>.
`
	if diff := cmp.Diff(want, r.stdout); diff != "" {
		t.Errorf("ops describe control.sleep (-want +got):\n%s", diff)
	}
	if r.code != ExitOK || r.stderr != "" {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestOpsDescribeEnumAndDefault(t *testing.T) {
	r := runMain(t, "ops", "describe", "control.log")
	r.want(t, ExitOK, []string{"level    string  no        info     debug|info|warn|error  log level", "message  string  yes"}, nil)
	runMain(t, "ops", "describe", "control.set").want(t, ExitOK, []string{"Takes any keys under with:"}, nil)
}

func TestOpsDescribeUnknown(t *testing.T) {
	r := runMain(t, "ops", "describe", "control.slep")
	r.want(t, ExitUsage, nil, []string{`unknown operation "control.slep" (did you mean "control.sleep"?)`})
	if r.stdout != "" {
		t.Errorf("stdout: %q", r.stdout)
	}
	runMain(t, "ops", "describe").want(t, ExitUsage, nil, []string{"exactly one operation"})
	runMain(t, "ops", "describe", "a", "b").want(t, ExitUsage, nil, []string{"exactly one operation"})
}

func TestOpsSearch(t *testing.T) {
	r := runMain(t, "ops", "search", "sleep")
	r.want(t, ExitOK, []string{"control.sleep"}, nil)
	if strings.Contains(r.stdout, "control.log") {
		t.Errorf("search sleep lists control.log:\n%s", r.stdout)
	}
	runMain(t, "ops", "search", "CONDITION", "step").want(t, ExitOK, []string{"control.assert"}, nil)
	r = runMain(t, "ops", "search", "zzzz")
	r.want(t, ExitOK, nil, []string{`no operation matches "zzzz"`})
	runMain(t, "ops", "search").want(t, ExitUsage, nil, []string{"give one or more words"})
}

func TestOpsUsage(t *testing.T) {
	runMain(t, "ops").want(t, ExitUsage, nil, []string{"Usage: arsenal-run ops list"})
	runMain(t, "ops", "lst").want(t, ExitUsage, nil, []string{`unknown subcommand "lst" (did you mean "list"?)`})
	runMain(t, "ops", "help", "describe").want(t, ExitOK, []string{"Usage: arsenal-run ops describe NAME"}, nil)
}

func TestFirstSentence(t *testing.T) {
	for in, want := range map[string]string{
		"One. Two.":          "One.",
		"No full stop":       "No full stop",
		"Version 1.2 is ok.": "Version 1.2 is ok.",
	} {
		if got := firstSentence(in); got != want {
			t.Errorf("firstSentence(%q) = %q, want %q", in, got, want)
		}
	}
}
