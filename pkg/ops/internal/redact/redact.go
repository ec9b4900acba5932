// Package redact hides the values a run marks secret in text the ops
// return. The credentials that URLs carry are masked by the module-wide
// internal/redact package, which traces and the audit log use as well.
package redact

import (
	"slices"
	"strings"
	"sync"

	"github.com/arsenal-run/arsenal-run/internal/redact"
)

// Mask is what a hidden value is replaced with.
const Mask = "***"

// Masker returns a function that masks every non-empty secret in a line
// of live output in every form the run's writers mask (see
// internal/redact: its base64, hex, URL-encoded and shell-quoted forms,
// each line of a multi-line secret), so that a line shows no more while
// the step runs than the report shows after it. With no secrets it
// returns nil, so callers can skip the work.
func Masker(secrets []string) func(string) string {
	r := redact.New(secrets...)
	if r.Empty() {
		return nil
	}
	return r.String
}

// Text returns s with every secret masked in every form the run's writers
// mask (see internal/redact), for text an op cuts before it returns it:
// masked only after the cut, a secret crossing it would keep its head or
// tail in clear.
func Text(secrets []string, s string) string {
	if len(secrets) == 0 || s == "" {
		return s
	}
	return redact.New(secrets...).String(s)
}

// MaxCommandSecrets is how many secrets of the commands this process ran
// MaskCommandLine masks: the newest.
const MaxCommandSecrets = 512

// commands are the secrets this process put on the command lines of the
// programs it ran (shell.exec), for the process listings to mask: while
// such a program runs, process.list shows its command line to whoever may
// list processes, whatever run it belongs to.
var commands struct {
	mu     sync.Mutex
	seen   []string
	masker *redact.Redactor
}

// RememberCommandSecrets notes the secrets that appear in argv, the command
// line of a program about to start, so that MaskCommandLine masks them.
func RememberCommandSecrets(argv, secrets []string) {
	if len(secrets) == 0 {
		return
	}
	line := strings.Join(argv, " ")
	commands.mu.Lock()
	defer commands.mu.Unlock()
	for _, v := range secrets {
		if v != "" && strings.Contains(line, v) && !slices.Contains(commands.seen, v) {
			commands.seen = append(commands.seen, v)
			commands.masker = nil
		}
	}
	if n := len(commands.seen) - MaxCommandSecrets; n > 0 {
		commands.seen = append(commands.seen[:0], commands.seen[n:]...)
	}
}

// MaskCommandLine masks in a command line the system shows the secrets
// RememberCommandSecrets noted.
func MaskCommandLine(cmdline string) string {
	commands.mu.Lock()
	if commands.masker == nil && len(commands.seen) > 0 {
		commands.masker = redact.New(commands.seen...)
	}
	m := commands.masker
	commands.mu.Unlock()
	if m == nil {
		return cmdline
	}
	return m.String(cmdline)
}
