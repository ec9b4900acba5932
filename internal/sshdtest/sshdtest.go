// Package sshdtest starts real OpenSSH servers for tests: sshd on loopback
// ports, with a host key, a user key and authorized_keys generated for each,
// and a known_hosts file that lists it. A test that needs sshd or
// ssh-keygen is skipped when they are not installed (CI installs both).
//
// Every server is stopped, with every process it started, when the test
// that started it ends.
package sshdtest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/testport"
	"golang.org/x/crypto/ssh"
)

// Tool returns the path of an OpenSSH program, or skips the test.
func Tool(t testing.TB, name string) string {
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

// Keygen writes a new ed25519 key pair at path (path.pub too). A
// passphrase is stretched with one KDF round only, so that decrypting the
// key stays quick under the race detector.
func Keygen(t testing.TB, path, passphrase string) {
	t.Helper()
	out, err := exec.Command(Tool(t, "ssh-keygen"), "-q", "-t", "ed25519", "-a", "1", "-N", passphrase, "-C", "test", "-f", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
}

// CurrentUser returns the name of the user the tests run as: the user the
// servers let in.
func CurrentUser(t testing.TB) string {
	t.Helper()
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	t.Fatal("the local user's name is unknown")
	return ""
}

// FreePort returns a loopback port that was free a moment ago, below the
// ephemeral range: a server stopped and launched again keeps its port,
// which no other program can have been given meanwhile.
func FreePort(t testing.TB) int {
	t.Helper()
	p, err := testport.Free()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// SyncBuffer is a bytes.Buffer safe for a writer and readers.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Server is a running sshd.
type Server struct {
	Dir  string
	Port int
	// Log is sshd's own log (-e): logins, errors.
	Log     *SyncBuffer
	HostKey ssh.PublicKey
	// UserKey is the private key authorized to log in as the current user.
	UserKey string
	// KnownHosts is a known_hosts file listing this server's key.
	KnownHosts string
	CfgFile    string
	// Listen is the first address the server listens on.
	Listen string

	cmd    *exec.Cmd
	exited chan struct{}
}

// Options configure Start.
type Options struct {
	Port      int      // 0: a free port
	Listen    []string // addresses; default 127.0.0.1
	Config    string   // more sshd_config lines, which win over the defaults
	NoAuthKey bool     // authorize no key (for certificate logins)
}

// Start starts sshd -D on loopback and waits until it accepts connections.
// It is stopped when the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	Tool(t, "sshd")
	if os.Geteuid() == 0 {
		// sshd's privilege separation directory.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	s := &Server{Dir: dir, Port: o.Port, Log: &SyncBuffer{}}
	if s.Port == 0 {
		s.Port = FreePort(t)
	}
	Keygen(t, filepath.Join(dir, "host_key"), "")
	s.UserKey = filepath.Join(dir, "id_user")
	Keygen(t, s.UserKey, "")
	pub, err := os.ReadFile(s.UserKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if o.NoAuthKey {
		pub = nil
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	hostPub, err := os.ReadFile(filepath.Join(dir, "host_key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if s.HostKey, _, _, _, err = ssh.ParseAuthorizedKey(hostPub); err != nil {
		t.Fatal(err)
	}
	listen := o.Listen
	if len(listen) == 0 {
		listen = []string{"127.0.0.1"}
	}
	var kh strings.Builder
	for _, a := range listen {
		kh.WriteString(KnownHostsLine(a, s.Port, s.HostKey))
	}
	s.KnownHosts = filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(s.KnownHosts, []byte(kh.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var cfg strings.Builder
	// sshd takes the first value of a keyword: the test's lines go first.
	fmt.Fprintf(&cfg, "%s\nPort %d\n", o.Config, s.Port)
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
# The login shell reads the startup files of HOME: a user's profile
# (a slow pyenv init, say) must not time the tests. A test's own
# SetEnv comes first and wins.
SetEnv HOME=%[1]s/home
`, dir)
	if err := os.MkdirAll(filepath.Join(dir, "home"), 0o700); err != nil {
		t.Fatal(err)
	}
	s.CfgFile = filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(s.CfgFile, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	s.Listen = listen[0]
	s.Launch(t)
	t.Cleanup(s.Stop)
	return s
}

// Launch starts sshd with the server's configuration and waits until it
// accepts connections; Start calls it, and a test that stopped the server
// may call it again.
func (s *Server) Launch(t testing.TB) {
	t.Helper()
	s.exited = make(chan struct{})
	s.cmd = exec.Command(Tool(t, "sshd"), "-D", "-e", "-f", s.CfgFile)
	s.cmd.Stderr = s.Log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting sshd: %v", err)
	}
	exited := s.exited
	go func() { _ = s.cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(s.Listen, strconv.Itoa(s.Port)), time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			t.Fatalf("sshd exited: %s", s.Log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd does not accept connections on port %d: %v\n%s", s.Port, err, s.Log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// KnownHostsLine is the known_hosts line of key for addr:port.
func KnownHostsLine(addr string, port int, key ssh.PublicKey) string {
	return fmt.Sprintf("[%s]:%d %s", addr, port, ssh.MarshalAuthorizedKey(key))
}

// Stop kills sshd and every process it started, and waits for sshd.
func (s *Server) Stop() {
	s.KillTree(syscall.SIGKILL)
	<-s.exited
}

// KillTree sends sig to sshd and to all its descendants: the
// per-connection processes (which run in sessions of their own) and the
// commands.
func (s *Server) KillTree(sig syscall.Signal) {
	if s.cmd.Process == nil {
		return
	}
	for _, pid := range append(descendants(s.cmd.Process.Pid), s.cmd.Process.Pid) {
		_ = syscall.Kill(pid, sig)
	}
}

// KillConnections kills the per-connection processes, leaving the
// listener.
func (s *Server) KillConnections() {
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

// Logins counts the logins sshd accepted: one per TCP connection.
func (s *Server) Logins() int {
	return strings.Count(s.Log.String(), "Accepted publickey for ")
}

// InventoryLine is the inventory entry of this server as host name:
// `  name: {address: 127.0.0.1, port: P, user: U, identity_file: K}`,
// with a newline.
func (s *Server) InventoryLine(t testing.TB, name string) string {
	return fmt.Sprintf("  %s: {address: %s, port: %d, user: %s, identity_file: %s}\n", name, s.Listen, s.Port, CurrentUser(t), s.UserKey)
}

// Fleet is several servers, one per host name, with a known_hosts file
// that lists them all.
type Fleet struct {
	Names      []string
	Servers    []*Server
	KnownHosts string
}

// StartFleet starts one sshd per name.
func StartFleet(t testing.TB, names ...string) *Fleet {
	t.Helper()
	f := &Fleet{Names: names, KnownHosts: filepath.Join(t.TempDir(), "known_hosts")}
	var kh []byte
	for range names {
		s := Start(t, Options{})
		f.Servers = append(f.Servers, s)
		b, err := os.ReadFile(s.KnownHosts)
		if err != nil {
			t.Fatal(err)
		}
		kh = append(kh, b...)
	}
	if err := os.WriteFile(f.KnownHosts, kh, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// Inventory writes an inventory file into dir holding every host of the
// fleet, each with the vars given for it by name (inline YAML maps such
// as `{code: 1}`), followed by more YAML (groups:), and returns its path.
func (f *Fleet) Inventory(t testing.TB, dir string, vars map[string]string, more string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("version: 1\nhosts:\n")
	for i, name := range f.Names {
		line := strings.TrimSuffix(f.Servers[i].InventoryLine(t, name), "}\n")
		if v, ok := vars[name]; ok {
			line += ", vars: " + v
		}
		b.WriteString(line + "}\n")
	}
	b.WriteString(more)
	path := filepath.Join(dir, "inventory.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Logins counts the logins of every server of the fleet, by host name.
func (f *Fleet) Logins() map[string]int {
	out := make(map[string]int, len(f.Names))
	for i, n := range f.Names {
		out[n] = f.Servers[i].Logins()
	}
	return out
}

// ClientConnections returns how many established TCP connections this
// process holds to a loopback port, read from /proc.
func ClientConnections(t testing.TB, port int) int {
	t.Helper()
	inodes := map[string]bool{}
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			fields := strings.Fields(line)
			if len(fields) < 10 || fields[3] != "01" { // ESTABLISHED
				continue
			}
			_, p, _ := strings.Cut(fields[2], ":") // rem_address
			if n, err := strconv.ParseInt(p, 16, 32); err == nil && int(n) == port {
				inodes[fields[9]] = true
			}
		}
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") && inodes[strings.Trim(link[7:], "[]")] {
			n++
		}
	}
	return n
}
