package postgres

import (
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// refusalAdvice is what to do when the server refuses a connection, by
// SQLSTATE.
var refusalAdvice = map[string]string{
	"28P01": "check the password (in the URL, $PGPASSWORD or ~/.pgpass of the service's user) and the user name: PostgreSQL answers the same for a user that does not exist",
	"28000": "the server's pg_hba.conf admits no such connection, or the role does not exist or may not log in: have the administrator add a pg_hba.conf line for this user, database and host (then reload PostgreSQL) or create the role, or set sslmode=require if only encrypted connections are admitted",
	"3D000": "create the database (CREATE DATABASE … OWNER …, see docs/ha.md) or fix its name in the URL's path",
	"42501": "grant the role CONNECT on the database (GRANT CONNECT ON DATABASE … TO …, see docs/ha.md)",
	"53300": "the server has no connection slot left: raise its max_connections, or lower the pools of the processes that share it",
	"57P03": "the server is starting, stopping or recovering: try again in a moment",
}

// refusal says, in one line, why the server refused the connection (err
// holds its error) and what to do, in place of pgx's list of every
// attempt: with sslmode=prefer (the default) that list starts with "tls
// error: server refused TLS connection", which is only the first attempt
// of a server without TLS, not the cause. ok is false when the server
// refused nothing (it was not reached, or did not answer).
func refusal(err error, cfg *pgconn.Config) (msg string, ok bool) {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return "", false
	}
	msg = fmt.Sprintf("the server refused user %q on database %q: %s (SQLSTATE %s)", cfg.User, cfg.Database, pgErr.Message, pgErr.Code)
	if advice, ok := refusalAdvice[pgErr.Code]; ok {
		msg += "; " + advice
	}
	return msg, true
}

// unreached says, in one line, that no server was reached at the URL's
// address (err is pgx's error) and what to do, in place of pgx's list of
// every attempt, which names the same refused address twice under
// sslmode=prefer. ok is false when a server was reached.
func unreached(err error) (msg string, ok bool) {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return fmt.Sprintf("the host %q cannot be resolved (%v): check the host name in the URL, or this machine's resolver", dnsErr.Name, dnsErr.Err), true
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) || opErr.Op != "dial" {
		return "", false
	}
	addr := ""
	if opErr.Addr != nil {
		addr = opErr.Addr.String()
	}
	why := opErr.Err.Error()
	if errors.Is(err, syscall.ECONNREFUSED) {
		why = "connection refused"
	}
	return fmt.Sprintf("no PostgreSQL server answers at %s (%s): check the host and port in the URL, that PostgreSQL runs there and listens on that address (listen_addresses and port in postgresql.conf), and that no firewall is in the way", addr, why), true
}
