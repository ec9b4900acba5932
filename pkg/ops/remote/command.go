package remote

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// A remote command runs under a small POSIX shell wrapper, so that it can
// be stopped and so that nothing secret appears on a command line:
//
//	exec /bin/sh -c '
//	  echo NONCE $$                       # the process group to kill (sshd made it a session leader)
//	  read -r go || exit 125              # wait for the step to know that group
//	  [sudo -S -p PROMPT -u USER -- /bin/sh -c 'echo NONCE-go; ...; exec ...']
//	  env=$(dd bs=1 count=N) && eval "$env"   # exports read from stdin, not from the command line
//	  cd -- DIR
//	  trap : TERM                         # outlive SIGTERM to report the program's end
//	  'argv0' 'argv1' ...                 # each argument single-quoted
//	  rc=$?; trap '' TERM; kill -TERM -$$  # what the program left running in its group
//	  exit $rc'
//
// The program's standard input carries, in order: an empty line once the
// step has read the process group id, the sudo password when sudo prompts
// for it (and only then), the exports, then the script or the stdin
// parameter. The nonce makes the wrapper's lines impossible to forge
// by accident and is removed from the output.
//
// Nothing starts before that empty line: a step stopped before the id
// came (the login shell still reading a slow profile) sends none and ends
// its input, so that the wrapper exits at the read, instead of starting a
// program that no signal could reach.
//
// The wrapper is in the process group that a stop signals. Left to die of
// SIGTERM, it would end the session with its own status (TERM, 143) even
// when the program ignored SIGTERM and SIGKILL ended it. Trapping SIGTERM
// (a trap, unlike an ignored signal, is not inherited by the program) makes
// it wait for the program and exit with the program's status; SIGKILL,
// which cannot be trapped, ends it with the program, so sshd reports KILL.

var (
	// userNameRE is a user name sudo may run as.
	userNameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}\$?$`)
)

// quote returns s as one single-quoted word of a POSIX shell.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// quoteArgs quotes each argument and joins them with spaces.
func quoteArgs(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = quote(a)
	}
	return strings.Join(q, " ")
}

// sudoOpts ask for the program to run through sudo.
type sudoOpts struct {
	user     string
	password string
}

// command is a remote program ready to start.
type command struct {
	mem    *ops.OutputMemory // holds the captured output as it comes; nil: none
	line   string            // the exec request
	input  []byte            // the exports, then the script or stdin; the password goes first when asked
	nonce  string
	sudo   *sudoOpts
	prompt string // sudo's password prompt, unique to this command
	name   string // the program, for messages
	op     string // the operation, for messages, when it is not ssh.exec
}

// what names c on host, for messages: "ssh.exec of echo on box".
func (c *command) what(host string) string {
	if c.op != "" {
		return c.op + " on " + host
	}
	return "ssh.exec of " + c.name + " on " + host
}

// scriptRunner runs a script read whole from stdin by sh -e, so that
// commands of the script that read stdin cannot swallow the rest of it.
const scriptRunner = `arsenal_script=$(cat) || exit 125; eval "$arsenal_script"`

// newCommand builds the wrapper for argv (or script, when argv is nil),
// with exports env (KEY=value, names checked), a working directory and
// stdin.
func newCommand(argv []string, script string, env []string, dir string, sudo *sudoOpts, stdin string) *command {
	c := &command{nonce: nonce(), sudo: sudo}
	var exports strings.Builder
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Fprintf(&exports, "export %s=%s;", k, quote(v))
	}
	var prog strings.Builder
	if exports.Len() > 0 {
		fmt.Fprintf(&prog, `arsenal_env=$(dd bs=1 count=%d 2>/dev/null) && eval "$arsenal_env" || { echo 'arsenal-run: could not read the environment' >&2; exit 125; }`+"\n", exports.Len())
	}
	if dir != "" {
		fmt.Fprintf(&prog, "cd -- %s || exit 125\n", quote(dir))
	}
	if argv == nil {
		c.name = "the script"
		argv = []string{"/bin/sh", "-e", "-c", scriptRunner, "sh"}
		stdin = script
	} else {
		c.name = argv[0]
	}
	c.input = append([]byte(exports.String()), stdin...)

	var w strings.Builder
	fmt.Fprintf(&w, "echo %s $$\nread -r arsenal_go || exit 125\n", c.nonce)
	if sudo == nil {
		w.WriteString(prog.String())
		w.WriteString("trap : TERM\n" + quoteArgs(argv) + "\n")
	} else {
		c.prompt = "[arsenal-run sudo " + c.nonce + "] password: "
		inner := "echo " + c.nonce + "-go\n" + prog.String() + "exec " + quoteArgs(argv)
		fmt.Fprintf(&w, "trap : TERM\nsudo -S -p %s -u %s -- /bin/sh -c %s\n", quote(c.prompt), quote(sudo.user), quote(inner))
	}
	w.WriteString("rc=$?\ntrap '' TERM\nkill -TERM -$$ 2>/dev/null\nexit $rc\n")
	c.line = "exec /bin/sh -c " + quote(w.String())
	return c
}

func nonce() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return "arsenal-run-" + hex.EncodeToString(b)
}

// maxPreamble bounds a line held while looking for the wrapper's lines.
const maxPreamble = 64 << 10

// markers takes the wrapper's lines out of a command's output: the
// process group id, and with sudo the line that says the program starts,
// and sudo's password prompts on stderr. Everything else goes on to the
// sinks unchanged. Its writers may be called from two goroutines.
type markers struct {
	mu       sync.Mutex
	c        *command
	out, err io.Writer

	outBuf, errBuf []byte
	outPass        bool // every marker seen: stdout passes straight through
	errPass        bool

	pid     int
	pidSeen chan struct{}
	started chan struct{} // the program runs (sudo said go, or no sudo)
	prompts chan struct{}

	// The wrapper's gate (see newCommand): opened once the id is seen,
	// unless the step is being stopped first.
	gate   sync.Mutex
	opened bool
	halted chan struct{} // closed when the step is stopped
}

func newMarkers(c *command, out, err io.Writer) *markers {
	m := &markers{c: c, out: out, err: err,
		pidSeen: make(chan struct{}), started: make(chan struct{}), prompts: make(chan struct{}, 8),
		halted: make(chan struct{})}
	if c.sudo == nil {
		m.errPass = true
	}
	return m
}

// stdout and stderr are the writers for the session.
func (m *markers) stdout() io.Writer { return writerFunc(m.writeOut) }
func (m *markers) stderr() io.Writer { return writerFunc(m.writeErr) }

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func (m *markers) writeOut(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.outPass {
		return m.out.Write(p)
	}
	m.outBuf = append(m.outBuf, p...)
	for !m.outPass {
		i := bytes.IndexByte(m.outBuf, '\n')
		if i < 0 {
			if len(m.outBuf) > maxPreamble {
				m.out.Write(m.outBuf)
				m.outBuf = m.outBuf[:0]
			}
			break
		}
		line := bytes.TrimSuffix(m.outBuf[:i], []byte("\r"))
		if !m.marker(string(line)) {
			m.out.Write(m.outBuf[:i+1])
		}
		m.outBuf = m.outBuf[i+1:]
	}
	if m.outPass && len(m.outBuf) > 0 {
		m.out.Write(m.outBuf)
		m.outBuf = nil
	}
	return len(p), nil
}

// marker handles one line of stdout that may be the wrapper's.
func (m *markers) marker(line string) bool {
	rest, ok := strings.CutPrefix(line, m.c.nonce)
	if !ok {
		return false
	}
	switch {
	case m.pid == 0 && strings.HasPrefix(rest, " "):
		n, err := strconv.Atoi(rest[1:])
		if err != nil || n <= 1 {
			return false
		}
		m.pid = n
		close(m.pidSeen)
		if m.c.sudo == nil {
			close(m.started)
			m.outPass = true
		}
		return true
	case m.c.sudo != nil && m.pid != 0 && rest == "-go":
		close(m.started)
		m.outPass = true
		m.passErr()
		return true
	}
	return false
}

func (m *markers) writeErr(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.errPass {
		return m.err.Write(p)
	}
	m.errBuf = append(m.errBuf, p...)
	prompt := []byte(m.c.prompt)
	for {
		i := bytes.Index(m.errBuf, prompt)
		if i < 0 {
			break
		}
		m.err.Write(m.errBuf[:i])
		m.errBuf = m.errBuf[i+len(prompt):]
		select {
		case m.prompts <- struct{}{}:
		default:
		}
	}
	// Keep what may be the start of a prompt split across writes.
	if keep := len(prompt) - 1; len(m.errBuf) > keep {
		m.err.Write(m.errBuf[:len(m.errBuf)-keep])
		m.errBuf = append(m.errBuf[:0], m.errBuf[len(m.errBuf)-keep:]...)
	}
	return len(p), nil
}

// passErr lets stderr through once the program runs; called with mu held.
func (m *markers) passErr() {
	m.errPass = true
	if len(m.errBuf) > 0 {
		m.err.Write(m.errBuf)
		m.errBuf = nil
	}
}

// flush passes on what is held back, once the command has ended.
func (m *markers) flush() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.outBuf) > 0 {
		m.out.Write(m.outBuf)
		m.outBuf = nil
	}
	m.passErr()
}

// pidOf returns the process group id once known, or 0.
func (m *markers) pidOf() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pid
}

// open tells whether the wrapper may be let through its gate: not once
// halt has been called. It is called once the id is seen.
func (m *markers) open() bool {
	m.gate.Lock()
	defer m.gate.Unlock()
	select {
	case <-m.halted:
		return false
	default:
	}
	m.opened = true
	return true
}

// halt closes the gate for good, and tells whether it was opened before:
// when it was not, the program never starts (the process group id was
// not known, and the wrapper ends at its gate once its input ends).
func (m *markers) halt() (opened bool) {
	m.gate.Lock()
	defer m.gate.Unlock()
	select {
	case <-m.halted:
	default:
		close(m.halted)
	}
	return m.opened
}
