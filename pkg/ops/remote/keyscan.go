package remote

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/shellword"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
)

// addCommand is the shell command that adds the offered key by hand: the
// key of a host behind a jump host is scanned from the jump host, since
// its address may mean nothing (or another machine) here (see
// scanCommand).
func (e *hostKeyError) addCommand() string {
	scan := scanCommand(e.address, e.offered.Type(), e.jump, e.knownHosts)
	file := shellword.Word(e.file)
	cmd := "`" + scan + " >> " + file + "`"
	if _, err := os.Stat(filepath.Dir(e.file)); err != nil {
		cmd = fmt.Sprintf("`mkdir -p -m 700 %s && %s >> %s`", shellword.Word(filepath.Dir(e.file)), scan, file)
	}
	if e.jump != nil {
		cmd += fmt.Sprintf(" (run from here: it scans from jump host %s, through which %s is reached)", e.jump.Name, e.host)
	}
	return cmd
}

// scanCommand is the shell command that prints the host keys of type
// keyType ("" for every type) of the server at address (host:port) as the
// pool meets it: scanned from here, or, behind a jump host, scanned on the
// jump host, reached with ssh as the pool reaches it (see sshTo). kh are
// the known_hosts files given to the pool, nil for OpenSSH's own.
func scanCommand(address, keyType string, jump *inventory.Host, kh []string) string {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		host, port = address, "22"
	}
	scan := "ssh-keyscan -p " + port
	if keyType != "" {
		scan += " -t " + keyType
	}
	scan += " " + shellword.Word(host)
	if jump == nil {
		return scan
	}
	return sshTo(jump, kh) + " " + scan
}

// sshTo is the ssh command line (without a remote command) that logs in
// to h as the pool does: with its login, port and key, through its own
// jump hosts, checking host keys against kh (nil for OpenSSH's defaults).
// ssh -J gives the hops before h none of the options on the command line,
// so a hop that needs a key or the pool's known_hosts files is reached
// with a ProxyCommand that names them, one hop inside the next.
func sshTo(h *inventory.Host, kh []string) string {
	args := []string{"ssh"}
	if j := h.Jump; j != nil {
		chain := j.Chain()
		plain := kh == nil
		for _, x := range chain {
			plain = plain && len(loginOptions(x, nil)) == 0
		}
		if plain {
			var via []string
			for _, x := range chain {
				via = append(via, withUser(x, x.HostPort()))
			}
			args = append(args, "-J", strings.Join(via, ","))
		} else {
			args = append(args, "-o", shellword.Word("ProxyCommand="+sshTo(j, kh)+" -W '[%h]:%p'"))
		}
	}
	args = append(args, loginOptions(h, kh)...)
	args = append(args, "-p", strconv.Itoa(h.Port), shellword.Word(withUser(h, h.Address)))
	return strings.Join(args, " ")
}

// loginOptions are the ssh options that log in to h as the pool does: its
// key and certificate, and the known_hosts files kh.
func loginOptions(h *inventory.Host, kh []string) []string {
	var out []string
	if h.IdentityFile != "" {
		out = append(out, "-i", shellword.Word(h.IdentityFile))
		if c := h.CertificateFile; c != "" && c != h.IdentityFile+"-cert.pub" {
			out = append(out, "-o", shellword.Word("CertificateFile="+c))
		}
	}
	if kh != nil {
		files := make([]string, len(kh))
		for i, f := range kh {
			files[i] = f
			if strings.ContainsAny(f, " \t") {
				files[i] = `"` + f + `"`
			}
		}
		out = append(out, "-o", shellword.Word("UserKnownHostsFile="+strings.Join(files, " ")))
	}
	return out
}

// withUser returns addr preceded by the host's login, when it has one.
func withUser(h *inventory.Host, addr string) string {
	if h.User != "" {
		return h.User + "@" + addr
	}
	return addr
}
