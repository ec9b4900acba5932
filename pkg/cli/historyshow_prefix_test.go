package cli

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestHistoryShowTakesTheStartOfAnID: `history show` takes a start of a
// run's id that only that run has, as git takes a commit's; a start that
// several runs share lists them, and one shorter than the date and time
// picks nothing, naming the runs it starts.
func TestHistoryShowTakesTheStartOfAnID(t *testing.T) {
	dir := t.TempDir()
	state := dir + "/state"
	pb := writePlaybook(t, dir, "quick.yaml", "version: 1\nname: quick\nsteps:\n  - {id: a, op: control.noop}\n")
	for range 2 {
		if res := runMain(t, "run", pb, "--state-dir", state, "--log-format", "json"); res.code != ExitOK {
			t.Fatalf("run: exit %d\n%s", res.code, res.stderr)
		}
	}
	var runs []struct {
		ID string `json:"id"`
	}
	if res := runMain(t, "history", "--state-dir", state, "--json"); json.Unmarshal([]byte(res.stdout), &runs) != nil || len(runs) != 2 {
		t.Fatalf("history --json: %s%s", res.stdout, res.stderr)
	}
	id := runs[0].ID
	// The shortest start of id that the other run's id does not share.
	n := len("20060102T150405-")
	for strings.HasPrefix(runs[1].ID, id[:n]) {
		n++
	}
	runMain(t, "history", "show", id[:n], "--state-dir", state).want(t, ExitOK, []string{"run       " + id}, nil)

	shared := len("20060102T150405")
	for runs[0].ID[:shared] != runs[1].ID[:shared] {
		shared-- // the two runs started in different seconds
	}
	if shared >= len("20060102T150405") {
		runMain(t, "history", "show", id[:shared], "--state-dir", state).want(t, ExitUsage, nil,
			[]string{"starts the ids of several runs: " + runs[0].ID + ", " + runs[1].ID + "; give more of the id"})
	}
	// Too short to pick a run, but not "no run": the runs it starts are
	// named, with the length a start needs.
	runMain(t, "history", "show", id[:8], "--state-dir", state).want(t, ExitUsage, nil,
		[]string{`"` + id[:8] + `" is too short to name a run`, "(" + id[:len("20060102T150405")] + ")", runs[0].ID + ", " + runs[1].ID})
	// `report show` takes a start of an id as `history show` does, and
	// says the same of one that names no single run.
	runMain(t, "report", "show", id[:8], "--state-dir", state).want(t, ExitUsage, nil,
		[]string{`"` + id[:8] + `" is too short to name a run`})
	// The year alone too: not a file not found.
	runMain(t, "report", "show", id[:4], "--state-dir", state).want(t, ExitUsage, nil,
		[]string{`"` + id[:4] + `" is too short to name a run`, runs[0].ID})
	if shared >= len("20060102T150405") {
		runMain(t, "report", "show", id[:shared], "--state-dir", state).want(t, ExitUsage, nil,
			[]string{"starts the ids of several runs", "give more of the id"})
	}
	runMain(t, "history", "show", "19990101", "--state-dir", state).want(t, ExitUsage, nil, []string{`no run "19990101" in this history`})
	// An id with its last character mistyped names the run it meant.
	typo := id[:len(id)-1] + map[bool]string{true: "0", false: "1"}[id[len(id)-1] != '0']
	runMain(t, "history", "show", typo, "--state-dir", state).want(t, ExitUsage, nil, []string{`in this history (did you mean "` + id + `"?)`})
	runMain(t, "report", "show", typo, "--state-dir", state).want(t, ExitUsage, nil, []string{`(did you mean "` + id + `"?)`})
	// A letter no id holds, or the id typed in capitals, is an id still,
	// not a file to open.
	for _, typed := range []string{id[:len(id)-1] + "g", strings.ToUpper(id)} {
		runMain(t, "report", "show", typed, "--state-dir", state).want(t, ExitUsage, nil, []string{`no run of that id`, `(did you mean "` + id + `"?)`})
	}
}

// TestShowEmptyID: an empty id (a shell variable that was not set) is
// told to be empty, not too short to name a run, nor a file not found.
func TestShowEmptyID(t *testing.T) {
	dir := t.TempDir()
	state := dir + "/state"
	pb := writePlaybook(t, dir, "quick.yaml", "version: 1\nname: quick\nsteps:\n  - {id: a, op: control.noop}\n")
	if res := runMain(t, "run", pb, "--state-dir", state, "--log-format", "json"); res.code != ExitOK {
		t.Fatalf("run: exit %d\n%s", res.code, res.stderr)
	}
	for _, id := range []string{"", " "} {
		runMain(t, "history", "show", id, "--state-dir", state).
			want(t, ExitUsage, nil, []string{"the run id is empty: give one that 'history' lists"})
		runMain(t, "report", "show", id, "--state-dir", state).
			want(t, ExitUsage, nil, []string{"the report or run id is empty: give the REPORT.json that 'run --report' wrote, or a run id that 'history' lists"})
	}
}

// TestResumeTakesTheStartOfAnID: `run --resume` takes a run id as
// `history show` does: a start of it that only that run has, with a
// lower-case t, and says which runs a start too short names.
func TestResumeTakesTheStartOfAnID(t *testing.T) {
	dir := t.TempDir()
	state := dir + "/state"
	flag := dir + "/ok"
	pb := writePlaybook(t, dir, "mend.yaml", "version: 1\nname: mend\nsteps:\n"+
		"  - {id: first, op: control.noop}\n"+
		"  - id: second\n    op: shell.exec\n    with: {command: [test, -e, "+flag+"]}\n    needs: [first]\n")
	if res := runMain(t, "run", pb, "--state-dir", state, "--log-format", "json"); res.code != ExitFailed {
		t.Fatalf("run: exit %d\n%s", res.code, res.stderr)
	}
	var runs []struct {
		ID string `json:"id"`
	}
	if res := runMain(t, "history", "--state-dir", state, "--json"); json.Unmarshal([]byte(res.stdout), &runs) != nil || len(runs) != 1 {
		t.Fatalf("history --json: %s%s", res.stdout, res.stderr)
	}
	id := runs[0].ID
	runMain(t, "run", pb, "--state-dir", state, "--resume", id[:8]).want(t, ExitUsage, nil,
		[]string{`"` + id[:8] + `" is too short to name a run`, id})
	if err := os.WriteFile(flag, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	typed := id[:8] + "t" + id[9:len("20060102T150405-")+2]
	res := runMain(t, "run", pb, "--state-dir", state, "--resume", typed, "--log-format", "json")
	if res.code != ExitOK || !strings.Contains(res.stdout+res.stderr, id) {
		t.Fatalf("run --resume %s: exit %d, want 0 naming %s\n%s%s", typed, res.code, id, res.stdout, res.stderr)
	}
}
