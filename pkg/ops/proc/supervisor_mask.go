package proc

// The masking of the command lines of the processes a Supervisor
// started: the secrets of their runs, those of shell.exec's commands, URL
// passwords, API keys and credential headers (redact.CommandLine).

import (
	"slices"

	"github.com/arsenal-run/arsenal-run/internal/redact"
	opsredact "github.com/arsenal-run/arsenal-run/pkg/ops/internal/redact"
)

// MaxSeenSecrets is how many secrets of the processes it started a
// Supervisor masks in every command line it is asked about.
const MaxSeenSecrets = 512

// MaskCommandLine masks in cmdline, the command line of process pid as
// the system shows it, the secrets of the runs whose processes this
// Supervisor started: a forked child keeps its parent's command line
// under a pid of its own, before it execs or for good (workers, and the
// orphans a shell leaves behind), so the pid alone does not find them.
func (s *Supervisor) MaskCommandLine(pid int, cmdline string) string {
	// And those of the commands shell.exec ran, whatever run they are of,
	// any URL's password (arsenal-run's own --state among them), and the
	// API keys and credential headers of a client of the API (curl -H
	// "Authorization: Bearer ak_...").
	cmdline = redact.CommandLine(opsredact.MaskCommandLine(cmdline))
	if s == nil {
		return cmdline
	}
	s.mu.Lock()
	if s.masker == nil && len(s.seen) > 0 {
		s.masker = redact.New(s.seen...)
	}
	masker := s.masker
	var dropped []string // its own, past MaxSeenSecrets newer ones
	if c := s.running[pid]; c != nil {
		for _, v := range c.spec.Secrets {
			if v != "" && !slices.Contains(s.seen, v) {
				dropped = append(dropped, v)
			}
		}
	}
	s.mu.Unlock()
	if masker != nil {
		cmdline = masker.String(cmdline)
	}
	if len(dropped) > 0 {
		cmdline = redact.New(dropped...).String(cmdline)
	}
	return cmdline
}

// rememberSecretsLocked adds secrets to those every command line is
// masked with, dropping the oldest past MaxSeenSecrets. The masker is
// built again when next asked for, once for any number of starts.
func (s *Supervisor) rememberSecretsLocked(secrets []string) {
	for _, v := range secrets {
		if v != "" && !slices.Contains(s.seen, v) {
			s.seen = append(s.seen, v)
			s.masker = nil
		}
	}
	if n := len(s.seen) - MaxSeenSecrets; n > 0 {
		s.seen = append(s.seen[:0], s.seen[n:]...)
	}
}
