package remote

// Tests run against real OpenSSH servers started here on loopback ports,
// with host keys, user keys and authorized_keys generated for them. They
// are skipped only when sshd or ssh-keygen is not installed (CI installs
// both).

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/crypto/ssh"

	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// tool returns the path of an OpenSSH program, or skips the test.
func tool(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
		if p := filepath.Join(dir, name); isExec(p) {
			return p
		}
	}
	t.Skipf("%s is not installed (apt-get install openssh-server openssh-client); .ci/run installs it", name)
	return ""
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// keygen writes a new ed25519 key pair at path (path.pub too). A
// passphrase is stretched with one KDF round only, so that decrypting the
// key stays quick under the race detector.
func keygen(t testing.TB, path, passphrase string) {
	t.Helper()
	out, err := exec.Command(tool(t, "ssh-keygen"), "-q", "-t", "ed25519", "-a", "1", "-N", passphrase, "-C", "test", "-f", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// server is a running sshd.
type server struct {
	t          testing.TB
	dir        string
	port       int
	cmd        *exec.Cmd
	log        *syncBuffer
	hostKey    ssh.PublicKey
	userKey    string // the private key authorized to log in as the current user
	knownHosts string // a known_hosts file listing this server's key
	cfgFile    string
	listen     string // the first address it listens on
	exited     chan struct{}
}

type serverOpts struct {
	port      int      // 0: a free port
	listen    []string // addresses; default 127.0.0.1
	config    string   // more sshd_config lines
	noAuthKey bool     // authorize no key (for certificate logins)
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startServer starts sshd -D on loopback and waits until it accepts
// connections. It is stopped when the test ends.
func startServer(t testing.TB, o serverOpts) *server {
	t.Helper()
	tool(t, "sshd")
	if os.Geteuid() == 0 {
		// sshd's privilege separation directory.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	s := &server{t: t, dir: dir, port: o.port, log: &syncBuffer{}}
	if s.port == 0 {
		s.port = freePort(t)
	}
	keygen(t, filepath.Join(dir, "host_key"), "")
	s.userKey = filepath.Join(dir, "id_user")
	keygen(t, s.userKey, "")
	pub, err := os.ReadFile(s.userKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if o.noAuthKey {
		pub = nil
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	hostPub, err := os.ReadFile(filepath.Join(dir, "host_key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if s.hostKey, _, _, _, err = ssh.ParseAuthorizedKey(hostPub); err != nil {
		t.Fatal(err)
	}
	listen := o.listen
	if len(listen) == 0 {
		listen = []string{"127.0.0.1"}
	}
	var kh strings.Builder
	for _, a := range listen {
		kh.WriteString(knownHostsLine(a, s.port, s.hostKey))
	}
	s.knownHosts = filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(s.knownHosts, []byte(kh.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var cfg strings.Builder
	// sshd takes the first value of a keyword: the test's lines go first.
	fmt.Fprintf(&cfg, "%s\nPort %d\n", o.config, s.port)
	for _, a := range listen {
		fmt.Fprintf(&cfg, "ListenAddress %s\n", a)
	}
	fmt.Fprintf(&cfg, `HostKey %[1]s/host_key
PidFile %[1]s/sshd.pid
AuthorizedKeysFile %[1]s/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowTcpForwarding yes
Subsystem sftp internal-sftp
MaxSessions 10
MaxStartups 100
UseDNS no
PrintMotd no
LogLevel INFO
`, dir)
	s.cfgFile = filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(s.cfgFile, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	s.listen = listen[0]
	s.launch(t)
	t.Cleanup(s.stop)
	return s
}

// launch starts sshd with the server's configuration and waits until it
// accepts connections.
func (s *server) launch(t testing.TB) {
	t.Helper()
	s.exited = make(chan struct{})
	s.cmd = exec.Command(tool(t, "sshd"), "-D", "-e", "-f", s.cfgFile)
	s.cmd.Stderr = s.log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting sshd: %v", err)
	}
	exited := s.exited
	go func() { _ = s.cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(s.listen, strconv.Itoa(s.port)), time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			t.Fatalf("sshd exited: %s", s.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd does not accept connections on port %d: %v\n%s", s.port, err, s.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func knownHostsLine(addr string, port int, key ssh.PublicKey) string {
	return fmt.Sprintf("[%s]:%d %s", addr, port, ssh.MarshalAuthorizedKey(key))
}

// stop kills sshd and every process it started.
func (s *server) stop() {
	s.killTree(syscall.SIGKILL)
	<-s.exited
}

// killTree sends sig to sshd and to all its descendants: the per-connection
// processes (which run in sessions of their own) and the commands.
func (s *server) killTree(sig syscall.Signal) {
	if s.cmd.Process == nil {
		return
	}
	for _, pid := range append(descendants(s.cmd.Process.Pid), s.cmd.Process.Pid) {
		_ = syscall.Kill(pid, sig)
	}
}

// killConnections kills the per-connection processes, leaving the listener.
func (s *server) killConnections() {
	for _, pid := range descendants(s.cmd.Process.Pid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// descendants lists the processes below pid, read from /proc.
func descendants(pid int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The command name is in parentheses and may hold spaces.
		rest := string(b[bytes.LastIndexByte(b, ')')+1:])
		f := strings.Fields(rest)
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		children[ppid] = append(children[ppid], p)
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		for _, c := range children[p] {
			out = append(out, c)
			walk(c)
		}
	}
	walk(pid)
	return out
}

// logins counts the logins sshd accepted: one per TCP connection.
func (s *server) logins() int {
	return strings.Count(s.log.String(), "Accepted publickey for ")
}

// inventory returns an inventory with this server as host name (and any
// more YAML host lines).
func (s *server) inventory(t testing.TB, name string) *inventory.Inventory {
	t.Helper()
	return parseInventory(t, fmt.Sprintf("version: 1\nhosts:\n  %s: {address: 127.0.0.1, port: %d, user: %s, identity_file: %s}\n", name, s.port, currentUser(t), s.userKey))
}

func parseInventory(t testing.TB, text string) *inventory.Inventory {
	t.Helper()
	inv, err := inventory.Parse("test-inventory.yaml", []byte(text))
	if err != nil {
		t.Fatalf("inventory:\n%s\n%v", text, err)
	}
	return inv
}

func currentUser(t testing.TB) string {
	t.Helper()
	u, err := localUser()
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// settings are the pool settings of tests: this server's known_hosts, no
// agent, quick keepalives.
func (s *server) settings(inv *inventory.Inventory) Settings {
	return Settings{Inventory: inv, KnownHosts: []string{s.knownHosts}, Agent: "none",
		KeepAlive: 2 * time.Second, KeepAliveMax: 3, KillGrace: time.Second, DialTimeout: 10 * time.Second}
}

// registry returns a registry holding the ssh.* operations with pool
// settings st, closed when the test ends.
func registry(t testing.TB, st Settings) *ops.Registry {
	t.Helper()
	r := ops.NewRegistry()
	if err := Register(r, st); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// newPool returns a pool closed when the test ends.
func newPool(t testing.TB, st Settings) *Pool {
	t.Helper()
	p := NewPool(st)
	t.Cleanup(func() { p.Close() })
	return p
}

// execute runs op through a registry (schema and ValidateParams apply),
// with pool in the context.
func execute(t testing.TB, ctx context.Context, pool *Pool, op string, params map[string]any) (map[string]any, error) {
	t.Helper()
	r := ops.NewRegistry()
	if err := Register(r, Settings{Agent: "none"}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	return opstest.Execute(r, WithPool(ctx, pool), op, params)
}
