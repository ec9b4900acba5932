package scheduler

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// driftWarnings maps the run id of each warning about file to its
// message.
func driftWarnings(t *testing.T, h *harness, file string) map[string]string {
	t.Helper()
	h.logs.mu.Lock()
	defer h.logs.mu.Unlock()
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(h.logs.b.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) != nil || m["file"] != file {
			continue
		}
		if m["level"] != "warn" || m["playbook"] != "tick" || m["slot"] == "" {
			t.Errorf("warning about the file: %v, want a warn line with the playbook and the slot", m)
		}
		out[m["run_id"].(string)], _ = m["message"].(string)
	}
	return out
}

// TestRunOfEditedPlaybookSaysItRunsTheLoadedText: nothing rereads a
// scheduled playbook between reloads, so a run that starts after its
// file was edited or removed runs the text loaded before; the log says
// so after its "run started", with the SIGHUP that takes the edit in,
// and says nothing while the file is as it was loaded (written again
// with the same text included).
func TestRunOfEditedPlaybookSaysItRunsTheLoadedText(t *testing.T) {
	h := newHarness(t, t10)
	file := filepath.Join(t.TempDir(), "tick.yaml")
	text := []byte("version: 1\nname: tick\n")
	if err := os.WriteFile(file, text, 0o600); err != nil {
		t.Fatal(err)
	}
	pb := playbook("tick", "@every 1m")
	sum := sha256.Sum256(text)
	pb.File, pb.AbsFile, pb.SHA256 = file, file, hex.EncodeToString(sum[:])
	h.load(pb)

	h.run(time.Minute) // run-1: as loaded
	if err := os.WriteFile(file, append(text, "# edited\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	h.run(2 * time.Minute) // run-2, run-3: edited
	if err := os.WriteFile(file, text, 0o600); err != nil {
		t.Fatal(err)
	}
	h.run(time.Minute) // run-4: the loaded text again
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	h.run(time.Minute) // run-5: removed
	h.quiesce()

	hup := "kill -HUP " + strconv.Itoa(os.Getpid())
	edited := "the playbook's file changed since it was loaded, and this run runs it as loaded: an edit takes effect on SIGHUP only; " +
		"check the file with `arsenal-run validate " + file + "`, then load it with `" + hup + "`"
	removed := "the playbook's file was removed since it was loaded, and this run runs it as loaded: it stays scheduled until SIGHUP; " +
		"put the file back, or stop scheduling it with `" + hup + "` (a file named on the command line, not through its directory, needs a restart without it)"
	want := map[string]string{"run-2": edited, "run-3": edited, "run-5": removed}
	if diff := cmp.Diff(want, driftWarnings(t, h, file)); diff != "" {
		t.Errorf("warnings by run (-want +got):\n%s", diff)
	}
	if n := len(h.logs.lines("run started")); n != 5 {
		t.Errorf("%d runs started, want 5: a changed file does not keep its runs from starting", n)
	}
}

// TestEditNoticedAtTheNextFire: the scheduler checks a playbook's file
// once a fire and hands its verdict to the run service, which no longer
// checks the file again for the run's own warning. An edit made between
// two fires is still noticed at the next: that run's "run started" is
// followed by the warning, and its report carries it; the run before
// has neither.
func TestEditNoticedAtTheNextFire(t *testing.T) {
	rh := newRunHarness(t, t10.Add(-time.Second), nil)
	pb := rh.playbook("tick", "@every 1m", noopSteps)
	rh.load(pb)
	rh.run(time.Second) // 10:00, as loaded
	rh.settle()
	if err := os.WriteFile(pb.AbsFile, []byte("version: 1\nname: tick\nsteps: []\n# edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rh.run(time.Minute) // 10:01, edited
	rh.settle()

	list, err := rh.mgr.Service().History().List(context.Background(), history.Filter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("%d runs, want 2", len(list))
	}
	logged := driftWarnings(t, rh.harness, pb.File)
	for _, r := range list {
		h, ok := rh.mgr.Get(r.ID)
		if !ok || h.Report() == nil {
			t.Fatalf("run %s: no report", r.ID)
		}
		edited := r.Slot != nil && r.Slot.Equal(t10.Add(time.Minute))
		warned := len(h.Report().Warnings) == 1 && strings.Contains(h.Report().Warnings[0], "file "+pb.File+" changed since it was loaded")
		if warned != edited || (!edited && len(h.Report().Warnings) != 0) {
			t.Errorf("run of %v: report warnings %q; want the file changed only for the run after the edit", r.Slot, h.Report().Warnings)
		}
		if _, said := logged[r.ID]; said != edited {
			t.Errorf("run of %v: log warned %v; want a warning only for the run after the edit", r.Slot, said)
		}
	}
}
