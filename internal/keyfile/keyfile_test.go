package keyfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var spec = Spec{Name: "test key", Len: 32, Lost: "what it signed no longer verifies"}

// TestLoadMakesOneKeyAndKeepsIt: the first Load makes a 0600 key, later
// ones (and Read) return it, and of several processes' worth of
// concurrent Loads on a new directory every one gets the same key.
func TestLoadMakesOneKeyAndKeepsIt(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "k")
	if _, err := Read(path, spec); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Read of a missing key: %v, want fs.ErrNotExist", err)
	}
	var wg sync.WaitGroup
	keys := make([][]byte, 16)
	errs := make([]error, 16)
	for i := range keys {
		wg.Go(func() { keys[i], errs[i] = Load(path, spec) })
	}
	wg.Wait()
	for i := range keys {
		if errs[i] != nil || string(keys[i]) != string(keys[0]) || len(keys[i]) != 32 {
			t.Fatalf("Load %d: %x, %v; want the key of Load 0, %x", i, keys[i], errs[i], keys[0])
		}
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o, want 0600", fi.Mode().Perm())
	}
	if again, err := Read(path, spec); err != nil || string(again) != string(keys[0]) {
		t.Errorf("Read: %x, %v", again, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d files in the directory, want the key alone", len(entries))
	}
}

// TestReadRefusesKeysOthersCouldKnow: a readable file, a symlink, a
// directory and a file that holds no key are refused, saying what to do.
func TestReadRefusesKeysOthersCouldKnow(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	if _, err := Load(good, spec); err != nil {
		t.Fatal(err)
	}
	readable := filepath.Join(dir, "readable")
	data, _ := os.ReadFile(good)
	os.WriteFile(readable, data, 0o644)
	link := filepath.Join(dir, "link")
	os.Symlink(good, link)
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("abcd\n"), 0o600)
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o700)
	for path, want := range map[string]string{
		readable: "has mode 0644; others must not read or write it: chmod 600",
		link:     "it must be a regular file, not a symlink",
		short:    "is not 32 hex-encoded bytes; remove it and a new key is made (what it signed no longer verifies)",
		sub:      "is not a regular file; remove it and a new key is made",
	} {
		if _, err := Read(path, spec); err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "test key") {
			t.Errorf("%s: %v; want %q", filepath.Base(path), err, want)
		}
		if _, err := Load(path, spec); err == nil {
			t.Errorf("Load of %s made or used a key", filepath.Base(path))
		}
	}
}

// TestReadOthersKeySaysWhatToRun: a key file another user owns is refused
// with the chown that makes it this user's, or the removal that replaces it.
func TestReadOthersKeySaysWhatToRun(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("giving a file to another user needs root")
	}
	path := filepath.Join(t.TempDir(), "report.key")
	if err := os.WriteFile(path, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 1001, 1001); err != nil {
		t.Fatal(err)
	}
	_, err := Read(path, Spec{Name: "report key", Len: 32, Lost: "reports signed with it no longer verify"})
	want := fmt.Sprintf("chown %d %s", os.Geteuid(), path)
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "no longer verify") {
		t.Errorf("Read of another user's key: %v, want it to say %q", err, want)
	}
}
