package remote

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
)

// maxKnownHostsLine is the longest line knownhosts reads (bufio.Scanner's
// limit); a longer one would fail the whole file.
const maxKnownHostsLine = 64 << 10

// canonicalAddress returns host:port as OpenSSH checks and records it in
// known_hosts: the host name lower-cased, without the trailing dot of a
// fully-qualified name. Without it, `LocalHost` would not match a
// `localhost` line, and a changed key would pass for an unknown one.
func canonicalAddress(hostport string) string {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return strings.ToLower(hostport)
	}
	if net.ParseIP(host) == nil {
		host = strings.TrimSuffix(host, ".")
	}
	return net.JoinHostPort(strings.ToLower(host), port)
}

// loadKnownHosts reads the files; with none, every host is unknown.
//
// knownhosts.New fails on the first line it cannot parse, which would fail
// every host for a typo next to an unrelated one. As OpenSSH does, such a
// line is skipped and reported to warn (file and line); host patterns are
// lower-cased, as OpenSSH matches them. A file that needs either is given
// to knownhosts as a copy with the same line numbers, in the private
// runtime directory, whose name is mapped back in every key it lists.
func loadKnownHosts(files []string, warn func(file string, line int, why error)) (*knownHosts, error) {
	kh := &knownHosts{ca: map[fileLine]bool{}, names: map[string]string{}}
	if len(files) == 0 {
		kh.check = func(string, net.Addr, ssh.PublicKey) error { return &knownhosts.KeyError{} }
		return kh, nil
	}
	var use []string
	defer func() {
		for tmp := range kh.names {
			os.Remove(tmp)
		}
	}()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading known_hosts %s: %w", f, err)
		}
		// Numbered as knownhosts numbers them: every line counts.
		lines := strings.Split(string(data), "\n")
		changed := false
		for i, line := range lines {
			t := strings.TrimSpace(line)
			if t == "" || t[0] == '#' {
				continue
			}
			fixed, ca, err := cleanKnownHostsLine(t)
			if err != nil {
				warn(f, i+1, err)
				lines[i], changed = "", true
				kh.skipped = append(kh.skipped, skippedLine{fileLine{f, i + 1}, linePatterns(t), err})
				continue
			}
			if ca {
				kh.ca[fileLine{f, i + 1}] = true
			}
			if fixed != t {
				lines[i], changed = fixed, true
			}
		}
		if !changed {
			use = append(use, f)
			continue
		}
		// In the private runtime directory, which no file operation of
		// any caller reaches: in the shared temporary directory another
		// caller's file.write could replace the copy between this write
		// and knownhosts reading it, and have a forged key trusted.
		dir, err := fsroot.MakePrivateBase()
		if err != nil {
			return nil, fmt.Errorf("reading known_hosts %s: %w", f, err)
		}
		tmp, err := os.CreateTemp(dir, "known_hosts-*")
		if err != nil {
			return nil, fmt.Errorf("reading known_hosts %s: %w", f, err)
		}
		kh.names[tmp.Name()] = f
		_, err = tmp.WriteString(strings.Join(lines, "\n"))
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("reading known_hosts %s: %w", f, err)
		}
		use = append(use, tmp.Name())
	}
	cb, err := knownhosts.New(use...)
	if err != nil {
		msg := err.Error()
		for tmp, f := range kh.names {
			msg = strings.ReplaceAll(msg, tmp, f)
		}
		return nil, fmt.Errorf("reading known_hosts: %s", msg)
	}
	kh.check = cb
	return kh, nil
}

// cleanKnownHostsLine checks a known_hosts line as knownhosts parses it and
// returns it with its host patterns lower-cased, and whether it is an
// @cert-authority line.
func cleanKnownHostsLine(line string) (string, bool, error) {
	if len(line) > maxKnownHostsLine {
		return "", false, fmt.Errorf("the line is longer than %d bytes", maxKnownHostsLine)
	}
	f := strings.Fields(line)
	var marker string
	if strings.HasPrefix(f[0], "@") {
		if f[0] != "@cert-authority" && f[0] != "@revoked" {
			return "", false, fmt.Errorf("unknown marker %q", f[0])
		}
		marker, f = f[0], f[1:]
	}
	if len(f) < 3 {
		return "", false, errors.New("it needs host patterns, a key type and a key")
	}
	pattern := f[0]
	if strings.HasPrefix(pattern, "@") {
		return "", false, fmt.Errorf("unexpected marker %q", pattern)
	}
	blob, err := base64.StdEncoding.DecodeString(f[2])
	if err == nil {
		_, err = ssh.ParsePublicKey(blob)
	}
	if err != nil {
		return "", false, fmt.Errorf("the %s key does not parse (%v); it may be truncated", f[1], err)
	}
	if strings.HasPrefix(pattern, "|") {
		parts := strings.Split(pattern, "|")
		ok := len(parts) == 4 && parts[0] == "" && parts[1] == "1"
		for _, p := range parts[2:] {
			if _, err := base64.StdEncoding.DecodeString(p); err != nil || p == "" {
				ok = false
			}
		}
		if !ok {
			return "", false, errors.New("the hashed host name is not |1|salt|hash")
		}
		return line, marker == "@cert-authority", nil
	}
	for _, p := range strings.Split(pattern, ",") {
		if p == "" {
			continue
		}
		if p[0] == '!' {
			if p = p[1:]; p == "" {
				return "", false, errors.New("a negation (!) without a host name")
			}
		}
		if strings.HasPrefix(p, "[") {
			if _, _, err := net.SplitHostPort(p); err != nil {
				return "", false, fmt.Errorf("host pattern %q: %v", p, err)
			}
		}
	}
	// The marker is lower-case: the first match is the pattern.
	return strings.Replace(line, pattern, strings.ToLower(pattern), 1), marker == "@cert-authority", nil
}

// skippedLine is a known_hosts line loadKnownHosts could not read, with
// the host patterns it starts with, if any could be told.
type skippedLine struct {
	at       fileLine
	patterns string
	why      error
}

// linePatterns returns the host patterns of a known_hosts line, its first
// field after any marker; "" when there is none.
func linePatterns(line string) string {
	f := strings.Fields(line)
	if len(f) > 0 && strings.HasPrefix(f[0], "@") {
		f = f[1:]
	}
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// skippedFor returns a skipped line whose patterns name address (host:port,
// canonical), or nil: a host known_hosts lists, on a line that could not
// be read, is no new host, and accept-new must not take whatever key it
// offers for it.
func (kh *knownHosts) skippedFor(address string) *skippedLine {
	entry := knownhosts.Normalize(address)
	for i := range kh.skipped {
		if patternsMatch(kh.skipped[i].patterns, entry) {
			return &kh.skipped[i]
		}
	}
	return nil
}

// patternsMatch tells whether a known_hosts pattern list names entry (as
// knownhosts.Normalize writes it): a hashed name, or a pattern with * and
// ?, a negated one excluding. It errs towards a match, since a match only
// refuses to add a key.
func patternsMatch(patterns, entry string) bool {
	matched := false
	for _, p := range strings.Split(patterns, ",") {
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		var ok bool
		if strings.HasPrefix(p, "|1|") {
			ok = hashedMatch(p, entry) // base64: case matters
		} else {
			ok = wildcardMatch(strings.ToLower(p), entry)
		}
		if ok && neg {
			return false
		}
		matched = matched || ok
	}
	return matched
}

// hashedMatch tells whether a hashed known_hosts name, |1|salt|hash, is
// the hash of entry (HMAC-SHA1 keyed by the salt, as OpenSSH hashes).
func hashedMatch(hashed, entry string) bool {
	parts := strings.Split(hashed, "|")
	if len(parts) != 4 {
		return false
	}
	salt, err1 := base64.StdEncoding.DecodeString(parts[2])
	want, err2 := base64.StdEncoding.DecodeString(parts[3])
	if err1 != nil || err2 != nil {
		return false
	}
	mac := hmac.New(sha1.New, salt)
	mac.Write([]byte(entry))
	return hmac.Equal(mac.Sum(nil), want)
}

// wildcardMatch matches a known_hosts host pattern: * is any run of
// characters, ? any one; everything else, brackets included, is itself.
// It backtracks only to the last *, so a long pattern costs linear time.
func wildcardMatch(pattern, s string) bool {
	pi, si, star, from := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(pattern) && (pattern[pi] == '?' || pattern[pi] == s[si]):
			pi, si = pi+1, si+1
		case pi < len(pattern) && pattern[pi] == '*':
			star, from = pi, si
			pi++
		case star >= 0:
			from++
			pi, si = star+1, from
		default:
			return false
		}
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}
