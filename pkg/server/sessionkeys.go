package server

// The record of the keys' changes: a console session of a key that was
// removed from the keys file, or whose hash or roles changed, stays ended
// when the key comes back as it was.

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// keyState prints what a key's entry says that a session stands on: its
// digest and its roles.
func keyState(k *apiKey) string {
	roles := slices.Clone(k.roles)
	slices.Sort(roles)
	// The expiry counts: a key disabled by an expiry in the past and
	// given its old expiry back is a change, as a removal is.
	exp := ""
	if !k.expires.IsZero() {
		exp = strconv.FormatInt(k.expires.Unix(), 10)
	}
	sum := sha256.Sum256([]byte("arsenal-run key state\x00" + hex.EncodeToString(k.digest[:]) + "\x00" + strings.Join(roles, "\n") + "\x00" + exp))
	return hex.EncodeToString(sum[:12])
}

// noteKeys compares a keys file being loaded (at start-up, or on reload)
// with what was last known of each key name, and records when a key was
// removed, or its digest or roles changed: sessions of that key issued
// before then are refused (changedSince), even once the key is back as
// it was. With a state dir the record is written there (synced) before
// the keys take effect; with a shared database it is this process's only.
// The record holds each key of the file, and the removed ones for
// MaxSessionTTL (no session lasts longer), at most maxGoneKeys of them.
func (s *Sessions) noteKeys(k *Keys) error {
	if s == nil {
		return nil
	}
	// Tokens tell their issue time to the second: a change is dated at
	// the start of the next second, after every session issued before it.
	now := s.now().Truncate(time.Second).Add(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	current := make(map[string]string, len(k.keys))
	for i := range k.keys {
		current[k.keys[i].name] = keyState(&k.keys[i])
	}
	if s.keys == nil {
		s.keys = map[string]keyRecord{}
	}
	changed := false
	var gone []string
	for name, rec := range s.keys {
		p := current[name]
		if rec.print != "" && p != rec.print {
			rec.since, changed = now, true
		}
		if rec.print != p {
			rec.print, changed = p, true
		}
		if !rec.since.IsZero() && now.Sub(rec.since) > MaxSessionTTL {
			rec.since, changed = time.Time{}, true
		}
		if rec.print == "" && rec.since.IsZero() {
			delete(s.keys, name)
			changed = true
			continue
		}
		s.keys[name] = rec
		if rec.print == "" {
			gone = append(gone, name)
		}
	}
	for name, p := range current {
		if _, ok := s.keys[name]; !ok {
			s.keys[name] = keyRecord{print: p}
			changed = true
		}
	}
	if len(gone) > maxGoneKeys {
		slices.SortFunc(gone, func(a, b string) int { return s.keys[a].since.Compare(s.keys[b].since) })
		for _, name := range gone[:len(gone)-maxGoneKeys] {
			delete(s.keys, name)
		}
	}
	if !changed || s.keysFile == "" {
		return nil
	}
	var b strings.Builder
	for name, rec := range s.keys {
		p, since := rec.print, int64(0)
		if p == "" {
			p = "-"
		}
		if !rec.since.IsZero() {
			since = rec.since.Unix()
		}
		fmt.Fprintf(&b, "%s %s %d\n", name, p, since)
	}
	if err := writeFileSynced(s.keysFile, b.String()); err != nil {
		return fmt.Errorf("sessions: record the keys' changes in %s (sessions of a key removed or changed now end only while this process runs): %w", s.keysFile, err)
	}
	return nil
}

// changedSince reports whether the key of sess was removed or changed
// after the session was issued.
func (s *Sessions) changedSince(sess session) bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	rec, ok := s.keys[sess.name]
	s.mu.Unlock()
	return ok && !rec.since.IsZero() && sess.issued.Before(rec.since)
}

// loadKeys reads the record of the keys' changes; without one, the first
// keys file noted is only recorded.
// notAfterNow is since, or the next second when since is later: a change
// dated in the future (a clock that ran ahead, a state dir from another
// host) would refuse every session of the key, new ones too, until the
// clock caught up.
func notAfterNow(since, now time.Time) time.Time {
	if limit := now.Truncate(time.Second).Add(time.Second); since.After(limit) {
		return limit
	}
	return since
}

func (s *Sessions) loadKeys() error {
	data, err := readNoFollow(s.keysFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sessions: %w", err)
	}
	s.keys = map[string]keyRecord{}
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		n, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			continue
		}
		rec := keyRecord{print: f[1]}
		if rec.print == "-" {
			rec.print = ""
		}
		if n != 0 {
			rec.since = notAfterNow(time.Unix(n, 0), s.now())
		}
		s.keys[f[0]] = rec
	}
	return nil
}

func readNoFollow(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|noFollow, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 8<<20))
}

// writeFileSynced replaces path with text, mode 0600, through a synced
// temporary file, so that a crash leaves the old file or the new one.
func writeFileSynced(path, text string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	werr := tmp.Chmod(0o600)
	if werr == nil {
		_, werr = tmp.WriteString(text)
	}
	if werr == nil {
		werr = tmp.Sync()
	}
	if err := errors.Join(werr, tmp.Close()); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
