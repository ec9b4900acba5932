package server

// The revocation list of a state dir: the console sessions signed out
// before their end. Several serve processes may share a state dir (one
// fires the schedules, the others stand by, or all behind a balancer),
// and a session one of them issued is taken by every other: a sign-out
// through one must end the session for all, so each reads the list again
// when it changed on disk.

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// loadRevoked reads the revocation list, keeping what has not expired,
// and writes it back without the rest.
func (s *Sessions) loadRevoked() error {
	if err := s.readRevokedLocked(); err != nil {
		return err
	}
	if len(s.revoked) < s.lines {
		s.compactLocked()
	}
	return nil
}

// readRevokedLocked adds to what s knows the revocations of the list on
// disk that have not expired, and counts its lines; s.mu is held (or s
// is not shared yet). A missing list holds none.
func (s *Sessions) readRevokedLocked() error {
	f, err := os.OpenFile(s.file, os.O_RDONLY|noFollow, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sessions: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("sessions: %w", err)
	}
	now := s.now()
	lines := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines++
		id, exp, ok := strings.Cut(sc.Text(), " ")
		n, err := strconv.ParseInt(exp, 10, 64)
		if !ok || err != nil || id == "" {
			continue
		}
		if t := time.Unix(n, 0); t.After(now) {
			s.revoked[id] = t
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("sessions: read %s: %w", s.file, err)
	}
	s.lines, s.read = lines, fi
	return nil
}

// rereadRevokedLocked reads the list again when it changed on disk since
// s last read or wrote it: another serve on the state dir signed a
// session out, or rewrote the list. A list that cannot be read keeps
// what s knows. s.mu is held.
func (s *Sessions) rereadRevokedLocked() {
	fi, err := os.Lstat(s.file)
	if err != nil || (s.read != nil && os.SameFile(fi, s.read) && fi.Size() == s.read.Size() && fi.ModTime().Equal(s.read.ModTime())) {
		return
	}
	s.readRevokedLocked()
}

// compactLocked rewrites the revocation list without expired sessions;
// s.mu is held (or s is not shared yet). It reads the list first, so that
// the sign-outs another serve wrote since are kept. A failure leaves the
// old file, which is only longer.
func (s *Sessions) compactLocked() {
	s.rereadRevokedLocked()
	now := s.now()
	var b strings.Builder
	n := 0
	for id, exp := range s.revoked {
		if !exp.After(now) {
			delete(s.revoked, id)
			continue
		}
		fmt.Fprintf(&b, "%s %d\n", id, exp.Unix())
		n++
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.file), ".sessions-revoked-*")
	if err != nil {
		return
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err == nil {
		if _, err := tmp.WriteString(b.String()); err == nil && tmp.Sync() == nil && tmp.Close() == nil {
			if os.Rename(tmp.Name(), s.file) == nil {
				s.lines = n
			}
			return
		}
	}
	tmp.Close()
}
