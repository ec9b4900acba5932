// Package pgtest starts a private PostgreSQL server for the tests of one
// test binary: initdb and pg_ctl in a temporary directory, listening on a
// free loopback port, with trust authentication, and a fresh database for
// each test that asks for one.
//
// PostgreSQL refuses to run as root, and tests here and in CI run as root:
// then the server runs as the unprivileged `postgres` user that the Debian
// package creates (else `nobody`), and the directory is given to it.
//
// Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// and in a test, pgtest.DSN(t) for a new empty database. When the
// PostgreSQL programs are not installed, a developer's run skips those
// tests with a message saying so; under CI (CI or ARSENAL_CI set) the test
// binary fails instead, because CI installs PostgreSQL and must run them.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/testport"
	"github.com/jackc/pgx/v5"
)

// Cluster is a running private PostgreSQL server.
type Cluster struct {
	bin  string // the directory of pg_ctl, initdb and postgres
	dir  string // holds data/, the socket and the log
	port int
	cred *syscall.Credential // nil when not root
	// durable keeps fsync on.
	durable bool
	mu      sync.Mutex
	n       atomic.Int64 // databases made so far
}

var (
	shared     *Cluster
	sharedErr  error
	sharedOnce sync.Once
)

// required reports whether missing PostgreSQL programs must fail the tests
// rather than skip them: CI always runs them.
func required() bool { return os.Getenv("CI") != "" || os.Getenv("ARSENAL_CI") != "" }

// Main starts the test binary's cluster lazily (at the first DSN), runs
// the tests, stops the cluster and returns the exit code for os.Exit.
func Main(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		shared.Stop()
	}
	if sharedErr != nil && required() && code == 0 {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", sharedErr)
		code = 1
	}
	return code
}

// Shared returns the test binary's cluster, starting it at the first
// call. It fails the test when PostgreSQL cannot be started, and skips it
// when the programs are not installed outside CI.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = Start() })
	if sharedErr != nil {
		if errors.Is(sharedErr, ErrNotInstalled) && !required() {
			t.Skipf("pgtest: %v; these tests run against a real PostgreSQL (CI installs it)", sharedErr)
		}
		t.Fatalf("pgtest: %v", sharedErr)
	}
	return shared
}

// Private starts a server of the test's own, stopped when the test ends,
// for a test that stops or restarts its server: it may run beside the
// tests on the shared one. It skips or fails as Shared does.
func Private(t testing.TB) *Cluster {
	t.Helper()
	c, err := Start()
	if err != nil {
		if errors.Is(err, ErrNotInstalled) && !required() {
			t.Skipf("pgtest: %v; these tests run against a real PostgreSQL (CI installs it)", err)
		}
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(c.Stop)
	return c
}

// DSN creates a new database on the shared cluster for this test and
// returns its connection string; the database is dropped when the test
// ends.
func DSN(t testing.TB) string {
	t.Helper()
	return Shared(t).NewDatabase(t)
}

// ErrNotInstalled is the PostgreSQL server programs missing.
var ErrNotInstalled = errors.New("the PostgreSQL server programs (initdb, pg_ctl, postgres) are not installed: apt-get install postgresql")

// BinDir finds the directory of pg_ctl: on PATH, else the newest
// /usr/lib/postgresql/*/bin (Debian keeps them off PATH).
func BinDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	return "", ErrNotInstalled
}

func versionOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// Start creates and starts a new cluster, without durability (fsync off):
// a test's data need not survive a crash of the machine. Stop ends it and
// removes its directory.
func Start() (*Cluster, error) { return start(false) }

// StartDurable is Start with PostgreSQL's default durability (fsync on),
// for benchmarks.
func StartDurable() (*Cluster, error) { return start(true) }

func start(durable bool) (*Cluster, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(tempBase(), "pgtest-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin, dir: dir, durable: durable}
	if os.Geteuid() == 0 {
		if c.cred, err = unprivileged(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		if err := os.Chown(dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if out, err := c.command("initdb", "-D", c.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	var last error
	for range 5 {
		if c.port, err = freePort(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		if last = c.startServer(); last == nil {
			return c, nil
		}
	}
	os.RemoveAll(dir)
	return nil, last
}

// tempBase is where the cluster's directory goes: the temporary
// directory, unless running as root with one that another user cannot
// reach (a TMPDIR under /root), then /tmp.
func tempBase() string {
	base := os.TempDir()
	if os.Geteuid() != 0 {
		return base
	}
	for d := base; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return "/tmp"
		}
		if d == filepath.Dir(d) {
			return base
		}
	}
}

// unprivileged is the user the server runs as when the tests are root.
func unprivileged() (*syscall.Credential, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 == nil && err2 == nil && uid != 0 {
			return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
		}
	}
	return nil, errors.New("running as root, and there is neither a postgres nor a nobody user to run PostgreSQL as")
}

// freePort is a port below the ephemeral range, which Down and Restart
// can start the server on again: another program cannot have been given
// it meanwhile.
func freePort() (int, error) { return testport.Free() }

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// command runs one of the server programs as the cluster's user.
func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd
}

// startServer starts postgres with pg_ctl and waits until it accepts
// connections.
func (c *Cluster) startServer() error {
	args := []string{"-p", strconv.Itoa(c.port), "-k", c.dir, "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300"}
	if c.durable {
		args = append(args, "-c", "shared_buffers=128MB")
	} else {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "shared_buffers=32MB")
	}
	opts := strings.Join(args, " ")
	out, err := c.command("pg_ctl", "-D", c.data(), "-o", opts, "-l", filepath.Join(c.dir, "server.log"), "-w", "-t", "60", "start").CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
		return fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, tail(log, 2000))
	}
	return nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// Stop stops the server at once and removes its directory.
func (c *Cluster) Stop() {
	c.command("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop").Run()
	os.RemoveAll(c.dir)
}

// Restart stops the server (fast shutdown: every connection is cut) and
// starts it again on the same port, as a database restart does.
func (c *Cluster) Restart() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if out, err := c.command("pg_ctl", "-D", c.data(), "-m", "fast", "-w", "stop").CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl stop: %v\n%s", err, out)
	}
	return c.startServer()
}

// Down stops the server (fast shutdown: every connection is cut) and
// returns the function that starts it again on the same port: between
// the two, the database is away, as during a failover.
func (c *Cluster) Down() (up func() error, err error) {
	c.mu.Lock()
	if out, err := c.command("pg_ctl", "-D", c.data(), "-m", "fast", "-w", "stop").CombinedOutput(); err != nil {
		c.mu.Unlock()
		return nil, fmt.Errorf("pg_ctl stop: %v\n%s", err, out)
	}
	return func() error {
		defer c.mu.Unlock()
		return c.startServer()
	}, nil
}

// Port is the server's TCP port on 127.0.0.1.
func (c *Cluster) Port() int { return c.port }

// URL is the connection string of database db as user postgres.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// NewDatabase creates an empty database and returns its connection
// string; it is dropped, with any connection still open, when t ends.
func (c *Cluster) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("test_%d_%d", os.Getpid(), c.n.Add(1))
	if err := c.Exec(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() { c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	return c.URL(name)
}

// Exec runs one statement on the postgres database, as user postgres.
func (c *Cluster) Exec(ctx context.Context, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}
