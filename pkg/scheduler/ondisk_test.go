package scheduler

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
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
