package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// countingValue counts how often the report it is in is encoded.
type countingValue struct{ n *int }

func (c countingValue) MarshalJSON() ([]byte, error) {
	*c.n++
	return []byte(`"counted"`), nil
}

// TestSignEncodedWritesOnce checks that a signed report written from
// SignEncoded is the file Sign and WriteUnsynced write, byte for byte,
// verifies, and was encoded once rather than twice.
func TestSignEncodedWritesOnce(t *testing.T) {
	key := bytes.Repeat([]byte{7}, keyLen)
	cases := map[string]func() *Report{}
	for _, name := range goldenInputs {
		cases[name] = func() *Report { return loadGolden(t, name) }
	}
	// A member named key_id inside the report is not the report's own.
	cases["nested key_id"] = func() *Report {
		r := loadGolden(t, goldenInputs[0])
		r.Outputs = map[string]any{"key_id": "x", "inner": map[string]any{"key_id": "y"}}
		return r
	}
	// The key id is not the last member when something was cut.
	cases["output budget"] = func() *Report {
		r := loadGolden(t, goldenInputs[0])
		r.OutputBudget = &OutputBudget{LimitBytes: 10, KeptBytes: 5, CutOutputs: 1, CutBytes: 3}
		return r
	}
	dir := t.TempDir()
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			want := mk()
			if err := Sign(want, key); err != nil {
				t.Fatal(err)
			}
			wantPath := filepath.Join(dir, name+"-want.json")
			if err := WriteUnsynced(wantPath, want); err != nil {
				t.Fatal(err)
			}
			got := mk()
			enc, err := SignEncoded(got, key)
			if err != nil {
				t.Fatal(err)
			}
			if got.Signature != want.Signature || got.KeyID != want.KeyID {
				t.Errorf("signature %q key id %q, want %q %q", got.Signature, got.KeyID, want.Signature, want.KeyID)
			}
			gotPath := filepath.Join(dir, name+"-got.json")
			if err := WriteUnsyncedEncoded(gotPath, enc); err != nil {
				t.Fatal(err)
			}
			a, _ := os.ReadFile(wantPath)
			b, _ := os.ReadFile(gotPath)
			if !bytes.Equal(a, b) {
				t.Fatalf("the file written from SignEncoded differs from WriteUnsynced's:\n%s\nwant:\n%s", b, a)
			}
			if _, err := Verify(b, key); err != nil {
				t.Errorf("Verify: %v", err)
			}
			if fi, err := os.Stat(gotPath); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, %v; want 0600", fi.Mode(), err)
			}
		})
	}

	n := 0
	r := loadGolden(t, goldenInputs[0])
	r.Outputs = map[string]any{"probe": countingValue{&n}}
	enc, err := SignEncoded(r, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteUnsyncedEncoded(filepath.Join(dir, "counted.json"), enc); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("signing and writing a report encoded it %d times, want once", n)
	}
}

// TestKeyIDOfEachKey checks that the id KeyID remembers is given only for
// its own key.
func TestKeyIDOfEachKey(t *testing.T) {
	a, b := bytes.Repeat([]byte{1}, keyLen), bytes.Repeat([]byte{2}, keyLen)
	ida, idb := KeyID(a), KeyID(b)
	if ida == idb {
		t.Fatalf("two keys share the id %s", ida)
	}
	if KeyID(a) != ida || KeyID(b) != idb || KeyID(b) != idb {
		t.Errorf("ids changed: %s %s, then %s %s", ida, idb, KeyID(a), KeyID(b))
	}
}

// TestSignAndWriteBytes bounds the bytes a signed report's encoding and
// indenting allocate beyond its encoding's own: they go into buffers kept
// for the next report, and the signed report is copied out once. A
// 1,551-byte report allocated 10,041 bytes where json.Marshal of it
// allocates 3,056: its copy, its growth for the signature and a new
// indent buffer of twice its size; now 4,792, about its size once more.
func TestSignAndWriteBytes(t *testing.T) {
	if raceBuild {
		t.Skip("under the race detector a sync.Pool drops some of what it is given")
	}
	key := bytes.Repeat([]byte{7}, keyLen)
	r := loadGolden(t, goldenInputs[0])
	path := filepath.Join(t.TempDir(), "r.json")
	enc, err := SignEncoded(r, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteUnsyncedEncoded(path, enc); err != nil {
		t.Fatal(err)
	}
	bytesOf := func(f func()) uint64 {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		for range 50 {
			f()
		}
		runtime.ReadMemStats(&m1)
		return (m1.TotalAlloc - m0.TotalAlloc) / 50
	}
	encode := bytesOf(func() { _, _ = json.Marshal(r) })
	write := bytesOf(func() {
		os.Remove(path)
		enc, _ := SignEncoded(r, key)
		_ = WriteUnsyncedEncoded(path, enc)
	})
	t.Logf("a %d-byte report: encoding %d bytes allocated, signing and writing it %d", len(enc), encode, write)
	if write > encode+uint64(len(enc))+2048 {
		t.Errorf("signing and writing a %d-byte report allocated %d bytes, its encoding %d: more than its size and 2 KB besides", len(enc), write, encode)
	}
}
