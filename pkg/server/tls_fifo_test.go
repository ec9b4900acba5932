//go:build unix

package server

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestTLSFilesFIFORefused: a --client-ca, --tls-cert or --tls-key naming a
// FIFO is refused at once, at start and at a reload (which keeps the
// settings in force), as the keys file is, instead of holding serve's
// start-up, or its SIGHUP and with it SIGTERM, until a writer comes.
func TestTLSFilesFIFORefused(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "ca")
	c, k := ca.issue(t, "s", "", true)
	cert, key, caFile := writeFile(t, dir, "c.pem", c), writeFile(t, dir, "k.pem", k), writeFile(t, dir, "ca.pem", ca.pem)
	fifo := filepath.Join(dir, "fifo.pem")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// A reader that does block is released at the end, so that the test
	// fails rather than hangs.
	t.Cleanup(func() {
		if w, err := os.OpenFile(fifo, os.O_RDWR, 0); err == nil {
			w.Close()
		}
	})
	within := func(what string, f func() error) error {
		t.Helper()
		done := make(chan error, 1)
		go func() { done <- f() }()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatalf("%s blocked on a FIFO", what)
			return nil
		}
	}
	for _, c := range []struct {
		flag          string
		cert, key, ca string
	}{
		{"--client-ca", cert, key, fifo},
		{"--tls-cert", fifo, key, caFile},
		{"--tls-key", cert, fifo, caFile},
	} {
		err := within("LoadTLS with "+c.flag, func() error { _, err := LoadTLS(c.cert, c.key, c.ca); return err })
		if want := c.flag + ": " + fifo + " is a named pipe (FIFO), not a regular file"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadTLS with a FIFO as %s = %v, want %q", c.flag, err, want)
		}
	}
	files, err := LoadTLS(cert, key, caFile)
	if err != nil {
		t.Fatal(err)
	}
	before := files.cur.Load()
	if err := os.Remove(caFile); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(fifo, caFile); err != nil {
		t.Fatal(err)
	}
	fifo = caFile
	err = within("Reload", files.Reload)
	if want := "--client-ca: " + caFile + " is a named pipe (FIFO), not a regular file"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Reload with a FIFO as the client CA = %v, want %q", err, want)
	}
	if files.cur.Load() != before {
		t.Error("a refused reload replaced the settings in force")
	}
}
