package postgres

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/arsenal-run/arsenal-run/internal/short"
)

// connectNotice is how long a connection may take before the process says
// what it waits for: a start-up on a host that drops packets, or a server
// that never answers, otherwise shows nothing until the connect timeout.
// The tests shorten it.
var connectNotice = 2 * time.Second

// noticeSlowConnect tells ctx's notice (see WithNotice), once the
// connection to cfg has taken connectNotice, what it waits for: the
// server's address, never the password. The returned stop ends the wait
// for it.
func noticeSlowConnect(ctx context.Context, cfg *pgconn.Config) (stop func()) {
	t := time.AfterFunc(connectNotice, func() {
		noticeOf(ctx)(fmt.Sprintf("waiting for the PostgreSQL server at %s to answer (giving up after %s, the URL's connect_timeout or the default; Ctrl-C stops)",
			serverAddr(cfg), short.Duration(cfg.ConnectTimeout)))
	})
	return func() { t.Stop() }
}

// serverAddr names the server of cfg, and its fallbacks: host:port, or
// the socket's path.
func serverAddr(cfg *pgconn.Config) string {
	names := []string{hostPort(cfg.Host, cfg.Port)}
	for _, f := range cfg.Fallbacks {
		// sslmode=prefer repeats each address, once with TLS and once
		// without.
		if n := hostPort(f.Host, f.Port); !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return strings.Join(names, " or ")
}

func hostPort(host string, port uint16) string {
	if strings.HasPrefix(host, "/") {
		return fmt.Sprintf("the socket %s/.s.PGSQL.%d", host, port)
	}
	return net.JoinHostPort(host, strconv.Itoa(int(port)))
}

// stopped is the error of a connection given up because ctx ended (Ctrl-C
// at start-up), naming the database; it wraps ctx's cause, so that
// errors.Is finds context.Canceled.
func stopped(ctx context.Context, rawURL string) error {
	return fmt.Errorf("%s: stopped while connecting: %w", Mask(rawURL), context.Cause(ctx))
}
