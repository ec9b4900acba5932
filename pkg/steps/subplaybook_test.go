package steps

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSubPlaybookStaysInItsDirectory checks that validation reads a
// sub-playbook only inside the calling playbook's directory tree: a
// symlink leading out of it is not followed, so nothing of the file it
// points at can show in a message. Whether the run may read such a file
// depends on the caller's roles, which the run checks.
func TestSubPlaybookStaysInItsDirectory(t *testing.T) {
	reg := fixtureRegistry(t)
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.yaml")
	if err := os.WriteFile(secret, []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(secret, filepath.Join(dir, "link.yaml")); err != nil {
		t.Skip("cannot make a symlink:", err)
	}
	main := filepath.Join(dir, "main.yaml")
	src := fmt.Sprintf(`version: 1
name: main
steps:
  - {id: a, op: playbook.run, with: {path: link.yaml, inputs: {x: 1}}}
  - {id: b, op: playbook.run, with: {path: %q, inputs: {x: 1}}}
  - {id: c, op: playbook.run, with: {path: ../%s/secret.yaml}}
`, secret, filepath.Base(outside))
	if err := os.WriteFile(main, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(main, reg); err != nil {
		t.Errorf("want no diagnostics for sub-playbooks outside the directory, got:\n%v", err)
	}
}

// TestSubPlaybookChainEnds checks that a long chain of sub-playbooks, each
// calling the next, loads in bounded work: validation follows at most
// maxSubLoads levels, and a cycle back to a playbook being loaded stops.
func TestSubPlaybookChainEnds(t *testing.T) {
	reg := fixtureRegistry(t)
	dir := t.TempDir()
	const n = 30
	for i := range n {
		next := fmt.Sprintf("p%d.yaml", (i+1)%n) // the last calls the first
		src := fmt.Sprintf("version: 1\nname: p%d\nsteps:\n  - {id: a, op: playbook.run, with: {path: %s}}\n  - {id: b, op: playbook.run, with: {path: %s}}\n", i, next, next)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("p%d.yaml", i)), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Load(filepath.Join(dir, "p0.yaml"), reg); err != nil {
		t.Fatalf("a chain of valid playbooks: %v", err)
	}
	// A mistake deep in the chain, beyond the levels followed, is found
	// when that playbook itself is validated, or when it runs.
	if err := os.WriteFile(filepath.Join(dir, "p5.yaml"), []byte("version: 1\nname: p5\nsteps:\n  - {id: a, op: control.nop}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(filepath.Join(dir, "p3.yaml"), reg)
	if err == nil || !strings.Contains(err.Error(), "p4.yaml has problems") {
		t.Errorf("want p3 to report that p4 has problems, got %v", err)
	}
}

// TestSubPlaybookFIFODoesNotBlock checks that validating a playbook.run
// step whose path is a FIFO in the playbook's directory returns at once:
// the open never waits for a writer, and the run says what is wrong.
func TestSubPlaybookFIFODoesNotBlock(t *testing.T) {
	reg := fixtureRegistry(t)
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.yaml"), 0o644); err != nil {
		t.Skip("cannot make a FIFO:", err)
	}
	main := filepath.Join(dir, "main.yaml")
	if err := os.WriteFile(main, []byte("version: 1\nname: main\nsteps:\n  - {id: a, op: playbook.run, with: {path: fifo.yaml}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := Load(main, reg); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("a FIFO is the run's to refuse, not validation's: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("loading a playbook that runs a FIFO blocked")
	}
}
