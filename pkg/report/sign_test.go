package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSignVerify signs real reports, writes them as Write does and checks
// that any change of data breaks the signature while layout does not.
func TestSignVerify(t *testing.T) {
	dir := t.TempDir()
	key, err := Key(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range goldenInputs {
		t.Run(name, func(t *testing.T) {
			r := loadGolden(t, name)
			if err := Sign(r, key); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, name+".json")
			if err := Write(path, r); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Verify(data, key)
			if err != nil {
				t.Fatalf("a report just written does not verify: %v", err)
			}
			want, _ := Read(path)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("the verified report differs from the written one (-want +got):\n%s", diff)
			}

			// Layout is not content: compact JSON still verifies.
			var compact bytes.Buffer
			json.Compact(&compact, data)
			if _, err := Verify(compact.Bytes(), key); err != nil {
				t.Errorf("compacted: %v", err)
			}

			// Any edit of data is caught.
			var m map[string]any
			json.Unmarshal(data, &m)
			m["status"] = "failed"
			if m["status"] == string(want.Status) {
				m["status"] = "cancelled"
			}
			edited, _ := json.Marshal(m)
			if _, err := Verify(edited, key); !errors.Is(err, ErrBadSignature) {
				t.Errorf("edited status: %v, want ErrBadSignature", err)
			}
			delete(m, "signature")
			unsigned, _ := json.Marshal(m)
			if _, err := Verify(unsigned, key); !errors.Is(err, ErrUnsigned) {
				t.Errorf("no signature: %v, want ErrUnsigned", err)
			}
			other := bytes.Repeat([]byte{7}, keyLen)
			if _, err := Verify(data, other); !errors.Is(err, ErrBadSignature) {
				t.Errorf("another key: %v, want ErrBadSignature", err)
			}
		})
	}
}

// TestVerifyForgedOutput edits one step's output, as someone steering a
// resumed run would, and keeps the signature.
func TestVerifyForgedOutput(t *testing.T) {
	key, err := Key(t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	r := &Report{ReportVersion: FormatVersion, RunID: "r1", Status: StatusFailed, Inputs: map[string]any{},
		Steps: []Step{{ID: "find", Op: "process.list", Section: "steps", Status: StatusSucceeded, Output: map[string]any{"processes": []any{}}}}}
	if err := Sign(r, key); err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(r)
	forged := bytes.Replace(data, []byte(`"processes":[]`), []byte(`"processes":[{"pid":4242}]`), 1)
	if bytes.Equal(forged, data) {
		t.Fatal("the forgery did not apply")
	}
	if _, err := Verify(forged, key); !errors.Is(err, ErrBadSignature) {
		t.Errorf("forged output: %v, want ErrBadSignature", err)
	}
	// A key written twice in a duplicate: the last one counts for the
	// report and for the signature alike.
	dup := bytes.Replace(data, []byte(`"run_id":"r1"`), []byte(`"run_id":"r1","run_id":"r2"`), 1)
	if _, err := Verify(dup, key); !errors.Is(err, ErrBadSignature) {
		t.Errorf("duplicate key: %v, want ErrBadSignature", err)
	}
	if _, err := Verify(append(data, []byte(`{}`)...), key); err == nil || !strings.Contains(err.Error(), "data after") {
		t.Errorf("trailing data: %v", err)
	}
}

func TestKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	if _, err := Key(dir, false); !errors.Is(err, ErrNoKey) {
		t.Errorf("no key, no create: %v", err)
	}
	k1, err := Key(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := Key(dir, true)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("the second call made another key (%v)", err)
	}
	path := filepath.Join(dir, KeyFile)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", fi.Mode(), err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Key(dir, true); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a key others can read: %v", err)
	}
	os.Chmod(path, 0o600)

	// A symlink at the key's name is not followed.
	other := t.TempDir()
	if err := os.Symlink(path, filepath.Join(other, KeyFile)); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
	if _, err := Key(other, true); err == nil {
		t.Error("a symlinked key was used")
	}
}

// TestWriteUnsyncedIsWriteWithoutTheSync: the state dir's copy holds the
// same bytes as Write's, verifies, replaces an older copy whole, and
// leaves no temporary file behind.
func TestWriteUnsyncedIsWriteWithoutTheSync(t *testing.T) {
	dir := t.TempDir()
	key, err := Key(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	r := loadGolden(t, goldenInputs[0])
	if err := Sign(r, key); err != nil {
		t.Fatal(err)
	}
	synced, unsynced := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	if err := os.WriteFile(unsynced, []byte("an older copy"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(synced, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteUnsynced(unsynced, r); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(synced)
	got, err := os.ReadFile(unsynced)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("WriteUnsynced wrote %q (%v); Write wrote %q", got, err, want)
	}
	if _, err := Verify(got, key); err != nil {
		t.Errorf("the unsynced copy does not verify: %v", err)
	}
	if fi, _ := os.Stat(unsynced); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600: the state dir's copy is for arsenal-run's user alone", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("a temporary file was left behind: %s", e.Name())
		}
	}
	if err := WriteUnsynced(filepath.Join(dir, "missing", "c.json"), r); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

// TestWriteHonoursTheUmask: a new report gets its mode less the umask, on
// both ways of writing it (an unnamed file, or a temporary one where the
// path exists), so that umask 077 keeps reports private; a replaced file
// keeps its bits, never wider than the mode asked for.
func TestWriteHonoursTheUmask(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) os.FileMode {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := WriteFileAtomic(path, []byte("{}\n"), mode); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	if got := write("new.json", 0o644); got != 0o600 {
		t.Errorf("new report under umask 077: mode %v, want 0600", got)
	}
	if got := write("new.json", 0o644); got != 0o600 {
		t.Errorf("report written again: mode %v, want 0600 as it was", got)
	}
	syscall.Umask(0o022)
	if err := os.WriteFile(filepath.Join(dir, "grp.json"), nil, 0o640); err != nil {
		t.Fatal(err)
	}
	if got := write("grp.json", 0o644); got != 0o640 {
		t.Errorf("replaced 0640 report: mode %v, want 0640 kept", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "wide.json"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := write("wide.json", 0o600); got != 0o600 {
		t.Errorf("0600 report over a 0644 file: mode %v, want 0600", got)
	}
	if got := write("plain.json", 0o644); got != 0o644 {
		t.Errorf("new report under umask 022: mode %v, want 0644", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		t.Errorf("the directory holds %d entries, want the 4 files", len(entries))
	}
}
