package remote

import (
	"bytes"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestQuote passes awkward strings through a real POSIX shell.
func TestQuote(t *testing.T) {
	for _, s := range []string{"", "plain", "a b", "'", "''", `it's`, `"`, "$HOME", "`id`", "$(id)", "\\", "a\nb", "*", "~", "-e", "ü", "!", "\t"} {
		out, err := exec.Command("/bin/sh", "-c", "printf %s "+quote(s)).Output()
		if err != nil || string(out) != s {
			t.Errorf("quote(%q) came back as %q (%v)", s, out, err)
		}
	}
}

// lockedBuffer collects what a writer receives.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSudoPrompt drives the marker and feeding logic the way sudo -S
// does: the password is written only after sudo prompts, the prompt never
// reaches the output, the program's input follows only once it runs, and a
// second prompt (a refused password) stops the command.
func TestSudoPrompt(t *testing.T) {
	cmd := newCommand([]string{"id"}, "", []string{"A=1"}, "", &sudoOpts{user: "root", password: "pw"}, "data")
	if !strings.Contains(cmd.line, "sudo -S -p") || strings.Contains(cmd.line, "A=1") || strings.Contains(cmd.line, "pw") {
		t.Fatalf("command line %q: want sudo, and neither env values nor the password", cmd.line)
	}
	var out, errOut, stdin lockedBuffer
	m := newMarkers(cmd, &out, &errOut)
	finished := make(chan struct{})
	fed := make(chan error, 1)
	go func() { fed <- feed(&stdin, m, cmd, finished) }()

	m.stdout().Write([]byte("motd line\n" + cmd.nonce + " 4242"))
	m.stdout().Write([]byte("\n"))
	m.stderr().Write([]byte("warning: x\n" + cmd.prompt[:5]))
	m.stderr().Write([]byte(cmd.prompt[5:10]))
	m.stderr().Write([]byte(cmd.prompt[10:]))
	waitFor(t, func() bool { return stdin.String() == "\npw\n" }, "the gate's line, then the password after the prompt")
	m.stdout().Write([]byte(cmd.nonce + "-go\r\nuid=0(root)\n"))
	if err := <-fed; err != nil {
		t.Fatal(err)
	}
	m.stderr().Write([]byte("after\n"))
	m.flush()
	if got, want := stdin.String(), "\npw\nexport A='1';data"; got != want {
		t.Errorf("stdin %q, want %q", got, want)
	}
	if out.String() != "motd line\nuid=0(root)\n" || errOut.String() != "warning: x\nafter\n" {
		t.Errorf("stdout %q, stderr %q", out.String(), errOut.String())
	}
	if m.pidOf() != 4242 {
		t.Errorf("pid %d", m.pidOf())
	}

	// Refused password: sudo prompts again.
	m = newMarkers(cmd, &out, &errOut)
	stdin = lockedBuffer{}
	go func() { fed <- feed(&stdin, m, cmd, finished) }()
	m.stdout().Write([]byte(cmd.nonce + " 7\n"))
	m.stderr().Write([]byte(cmd.prompt))
	waitFor(t, func() bool { return stdin.String() == "\npw\n" }, "the password")
	m.stderr().Write([]byte("Sorry, try again.\n" + cmd.prompt))
	if err := <-fed; err == nil || !strings.Contains(err.Error(), "sudo refused the password") {
		t.Errorf("second prompt: %v", err)
	}

	// No password given.
	cmd = newCommand([]string{"id"}, "", nil, "", &sudoOpts{user: "admin"}, "")
	m = newMarkers(cmd, &out, &errOut)
	go func() { fed <- feed(&stdin, m, cmd, finished) }()
	m.stdout().Write([]byte(cmd.nonce + " 8\n"))
	m.stderr().Write([]byte(cmd.prompt))
	if err := <-fed; err == nil || !strings.Contains(err.Error(), "sudo asks for a password to run as admin; give it in sudo_password") {
		t.Errorf("no password: %v", err)
	}

	// Without sudo, a forged marker from the program is just output.
	cmd = newCommand([]string{"id"}, "", nil, "", nil, "")
	out = lockedBuffer{}
	m = newMarkers(cmd, &out, &errOut)
	m.stdout().Write([]byte(cmd.nonce + " 9\nhello\n" + cmd.nonce + " 10\n"))
	m.flush()
	if out.String() != "hello\n"+cmd.nonce+" 10\n" || m.pidOf() != 9 {
		t.Errorf("stdout %q, pid %d", out.String(), m.pidOf())
	}
	close(finished)
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestGate: the wrapper's gate opens once the process group id is seen,
// and never once the step is stopped first; nothing of the program's
// input is written then, and the input ends.
func TestGate(t *testing.T) {
	cmd := newCommand([]string{"id"}, "", []string{"A=1"}, "", nil, "data")
	if !strings.Contains(cmd.line, "read -r arsenal_go || exit 125") {
		t.Fatalf("command line %q: want the gate", cmd.line)
	}
	finished := make(chan struct{})
	defer close(finished)

	var stdin lockedBuffer
	m := newMarkers(cmd, io.Discard, io.Discard)
	if err := func() error {
		if m.halt() {
			t.Error("halt before the id: the gate was open")
		}
		return feed(&stdin, m, cmd, finished)
	}(); err != nil || stdin.String() != "" {
		t.Errorf("halted before the id: fed %q (%v); want nothing", stdin.String(), err)
	}
	m.stdout().Write([]byte(cmd.nonce + " 4242\n"))
	if m.open() {
		t.Error("the gate opened after halt")
	}

	stdin = lockedBuffer{}
	m = newMarkers(cmd, io.Discard, io.Discard)
	m.stdout().Write([]byte(cmd.nonce + " 4242\n"))
	if err := feed(&stdin, m, cmd, finished); err != nil || stdin.String() != "\nexport A='1';data" {
		t.Errorf("fed %q (%v); want the gate's line, then the input", stdin.String(), err)
	}
	if !m.halt() {
		t.Error("halt after the gate opened: it says it was not")
	}
}
