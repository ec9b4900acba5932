package server

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKeysNameIsOneCaller: a certificate subject may not be a key's name,
// nor may two keys share a name or two certs a subject. Runs (who may
// cancel one or answer its confirm: questions), the rate.per_key bucket
// and the audit log's who go by the name alone, so a certificate holder
// named like a viewer key would act as that key's owner on its runs. The
// problem is reported at the later of the two entries, naming the
// earlier, whichever list comes first in the file.
func TestKeysNameIsOneCaller(t *testing.T) {
	_, d1, _ := NewKey()
	_, d2, _ := NewKey()
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"a cert after the key", "version: 1\nkeys:\n  - {name: bob, sha256: " + d1 + ", roles: [viewer]}\ncerts:\n  - {subject: bob, roles: [admin]}\n",
			[]string{`k.yaml:5:15: certificate subject "bob" is also the name of the key at line 3, column 12; rename the key`}},
		{"the key after the cert", "version: 1\ncerts:\n  - {subject: bob, roles: [admin]}\nkeys:\n  - {name: bob, sha256: " + d1 + ", roles: [viewer]}\n",
			[]string{`k.yaml:5:12: key name "bob" is also the certificate subject at line 3, column 15; rename the key`}},
		{"a key with other problems", "version: 1\nkeys:\n  - {name: bob, sha256: nothex, roles: [viewer]}\ncerts:\n  - {subject: bob, roles: [admin]}\n",
			[]string{`k.yaml:3:25: sha256 must be`, `k.yaml:5:15: certificate subject "bob" is also the name of the key at line 3, column 12`}},
		{"two keys of one name", "version: 1\nkeys:\n  - {name: bob, sha256: " + d1 + ", roles: [viewer]}\n  - {name: bob, sha256: " + d2 + ", roles: [admin]}\n",
			[]string{`k.yaml:4:12: key name "bob" is used twice (first at line 3, column 12); rename one`}},
		{"a key repeated through an alias", "version: 1\nkeys:\n  - &bob {name: bob, sha256: " + d1 + ", roles: [viewer]}\n  - *bob\n",
			[]string{`k.yaml:3:17: in item 2 of keys, through *bob at line 4, column 5: key name "bob" is used twice (first at line 3, column 17); rename one`}},
		{"a cert repeated through an alias", "version: 1\ncerts:\n  - &n2 {subject: node-2, roles: [viewer]}\n  - *n2\n",
			[]string{`k.yaml:3:19: in item 2 of certs, through *n2 at line 4, column 5: subject "node-2" is listed twice (first at line 3, column 19); remove one`}},
		{"two certs of one subject", "version: 1\ncerts:\n  - {subject: node-2, roles: [viewer]}\n  - {subject: node-2, roles: [admin]}\n",
			[]string{`k.yaml:4:15: subject "node-2" is listed twice (first at line 3, column 15); remove one`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParseKeys("k.yaml", []byte(tc.text))
			if err == nil {
				t.Fatalf("loaded, with %d keys and %d certs; want it refused", len(k.keys), len(k.certs))
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%v\nlacks %q", err, want)
				}
			}
		})
	}
	// Names that differ are fine, as is the keys file of the examples.
	if _, err := ParseKeys("k.yaml", []byte("version: 1\nkeys:\n  - {name: bob, sha256: "+d1+", roles: [viewer]}\ncerts:\n  - {subject: bob.example.com, roles: [admin]}\n")); err != nil {
		t.Errorf("distinct names: %v", err)
	}
	if _, err := LoadKeys(filepath.Join("testdata", "keys", "example.yaml")); err != nil {
		t.Errorf("the example keys file: %v", err)
	}
}

// TestLoadKeysRefusesWhatIsNotAFile: a keys path naming a FIFO is refused
// at once, as the policy's is, instead of blocking serve's start-up (or
// its SIGHUP, and with it SIGTERM) until a writer comes; a device is
// refused too.
func TestLoadKeysRefusesWhatIsNotAFile(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "keys.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// A loader that does block is released at the end, so that the test
	// fails rather than hangs and leaks nothing.
	t.Cleanup(func() {
		if w, err := os.OpenFile(fifo, os.O_RDWR, 0); err == nil {
			w.Close()
		}
	})
	for _, tc := range []struct{ path, want string }{
		{fifo, fifo + ": cannot read the keys file: it is a named pipe (FIFO), not a regular file; arsenal-run reads only regular files"},
		{os.DevNull, os.DevNull + ": cannot read the keys file: it is a character device, not a regular file; give the path of the keys file itself"},
	} {
		done := make(chan error, 1)
		go func() {
			_, err := LoadKeys(tc.path)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadKeys(%s) = %v\nwant %q", tc.path, err, tc.want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("LoadKeys(%s) blocked", tc.path)
		}
	}
}

// TestLoadKeysRefusesAFileAnyoneMayWrite: a keys file every user of the
// host may write would let any of them add a key with the admin role; it
// is refused at its first line, with the chmod that fixes it.
func TestLoadKeysRefusesAFileAnyoneMayWrite(t *testing.T) {
	_, digest, _ := NewKey()
	path := filepath.Join(t.TempDir(), "keys.yaml")
	if err := os.WriteFile(path, []byte("version: 1\nkeys:\n  - {name: alice, sha256: "+digest+", roles: [admin]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	_, err := LoadKeys(path)
	if err == nil || !strings.Contains(err.Error(), path+": the keys file's mode 0666 lets every user of this host write it") ||
		!strings.Contains(err.Error(), "chmod go-w "+path) {
		t.Fatalf("LoadKeys of a file of mode 0666 = %v", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeys(path); err != nil {
		t.Fatalf("LoadKeys of a file of mode 0644: %v", err)
	}
}

// TestLoadKeysRefusesAFileAGroupMayWrite: a keys file of mode 0660
// whose group (5000, no user's private group) may write it lets every
// member add a key with the admin role; it is refused with the chmod that
// fixes it. Root's group may write it.
func TestLoadKeysRefusesAFileAGroupMayWrite(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give files to another group")
	}
	_, digest, _ := NewKey()
	path := filepath.Join(t.TempDir(), "keys.yaml")
	if err := os.WriteFile(path, []byte("version: 1\nkeys:\n  - {name: alice, sha256: "+digest+", roles: [admin]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o660); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeys(path); err != nil {
		t.Fatalf("LoadKeys of a file of mode 0660 of root's group: %v", err)
	}
	if err := os.Chown(path, 0, 5000); err != nil {
		t.Fatal(err)
	}
	_, err := LoadKeys(path)
	if err == nil || !strings.Contains(err.Error(), path+": the keys file's mode 0660 lets the members of group 5000 write it (it is owned by user 0 (root)) and add a key with any role") ||
		!strings.Contains(err.Error(), "chmod g-w "+path) {
		t.Fatalf("LoadKeys of a file group 5000 may write = %v", err)
	}
}

// TestLoadKeysRefusesAFileInADirectoryAnyoneMayWrite: a keys file of mode
// 0600 in a directory every user may write (no sticky bit) can be
// replaced by any of them with a rename, so it is refused as one they may
// write is, naming the directory and the chmod that fixes it; so is one
// reached through a symbolic link into such a directory.
func TestLoadKeysRefusesAFileInADirectoryAnyoneMayWrite(t *testing.T) {
	_, digest, _ := NewKey()
	base := t.TempDir()
	dir := filepath.Join(base, "shared")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "keys.yaml")
	if err := os.WriteFile(path, []byte("version: 1\nkeys:\n  - {name: alice, sha256: "+digest+", roles: [admin]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "keys.yaml")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, link} {
		_, err := LoadKeys(p)
		if err == nil || !strings.Contains(err.Error(), p+": the keys file is in "+dir+", a directory every user of this host may write (mode 0777)") ||
			!strings.Contains(err.Error(), "chmod o-w "+dir) {
			t.Fatalf("LoadKeys(%s) in a directory of mode 0777 = %v", p, err)
		}
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, link} {
		if _, err := LoadKeys(p); err != nil {
			t.Fatalf("LoadKeys(%s) in a directory of mode 0755: %v", p, err)
		}
	}
}

// TestLoadKeysRefusesAFileAnotherUserOwns: a keys file of mode 0644 that
// another user of the host (uid 1001) owns, or one of root's in a
// directory of theirs (mode 0755), can be rewritten or renamed over by
// that user at any time, to add a key with any role: each is refused at
// its first line, naming the owner and the chown that fixes it.
func TestLoadKeysRefusesAFileAnotherUserOwns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make files owned by another user")
	}
	_, digest, _ := NewKey()
	dir := filepath.Join(t.TempDir(), "alice")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "keys.yaml")
	if err := os.WriteFile(path, []byte("version: 1\nkeys:\n  - {name: alice, sha256: "+digest+", roles: [admin]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeys(path); err != nil {
		t.Fatalf("LoadKeys of root's file in root's directory: %v", err)
	}
	if err := os.Chown(path, 1001, 1001); err != nil {
		t.Fatal(err)
	}
	_, err := LoadKeys(path)
	if err == nil || !strings.Contains(err.Error(), path+": the keys file is owned by user 1001") ||
		!strings.Contains(err.Error(), "add a key with any role") || !strings.Contains(err.Error(), "chown root "+path) {
		t.Errorf("LoadKeys of user 1001's file = %v", err)
	}
	if err := os.Chown(path, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 1001, 1001); err != nil {
		t.Fatal(err)
	}
	_, err = LoadKeys(path)
	if err == nil || !strings.Contains(err.Error(), path+": the keys file is in "+dir+", a directory owned by user 1001") ||
		!strings.Contains(err.Error(), "chown root "+dir) {
		t.Errorf("LoadKeys of root's file in user 1001's directory = %v", err)
	}
}
