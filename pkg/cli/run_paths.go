package cli

// The files a run is given, checked against each other before it starts.

import (
	"errors"
	"fmt"
	"os"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
)

// openAuditLog checks --audit-log against the run's other files before it
// opens it, creating it if need be. It returns the log (nil without
// --audit-log) and what closes it; a log it created for a run refused
// before it started is removed if still empty. It returns false, having
// said why, when the log may not be used.
func (r *runner) openAuditLog() (*auth.AuditLog, func(), bool) {
	o, e := r.o, r.e
	if o.auditLog == "" {
		return nil, func() {}, true
	}
	if msg := auditLogProblem(o.auditLog, r.reads(), r.sinks(), o.stateDir); msg != "" {
		e.say(msg + "\nnothing ran\n")
		return nil, nil, false
	}
	_, statErr := os.Lstat(o.auditLog)
	audit, err := auth.OpenAudit(o.auditLog)
	if err != nil {
		e.errorf("%v; nothing ran", auditOpenError(err, o.auditLog))
		return nil, nil, false
	}
	created := errors.Is(statErr, os.ErrNotExist)
	return audit, func() {
		if created && !r.started() {
			removeIfEmpty(o.auditLog)
		}
		audit.Close()
	}, true
}

// flagIsPlaybook says which flag names the playbook itself as something
// else (--state-dir h.yaml), or "". Such a flag's file is protected
// before the playbook is read, which then failed as if the playbook were
// at fault.
func (r *runner) flagIsPlaybook() string {
	o := r.o
	pb, err := os.Stat(r.path)
	if err != nil {
		return ""
	}
	flags := []struct{ flag, path, want string }{
		{"--state-dir", o.stateDir, "give a directory for the run history and reports, like state"},
		{"--policy", o.policy, "give the policy file"},
		{"--inputs", o.inputsFile, "give a YAML or JSON file of input values, like `threshold: 90`"},
		{"--inventory", o.remote.inventory, "give the inventory file"},
	}
	for _, f := range o.remote.knownHosts {
		flags = append(flags, struct{ flag, path, want string }{"--known-hosts", f, "give a known_hosts file"})
	}
	for _, f := range flags {
		if f.path == "" {
			continue
		}
		if fi, err := os.Stat(f.path); err == nil && os.SameFile(pb, fi) {
			return fmt.Sprintf("%s %s: it is the playbook; %s", f.flag, f.path, f.want)
		}
	}
	return ""
}

// reads are the files the run reads, for the check of --audit-log.
func (r *runner) reads() []namedFile {
	o := r.o
	out := []namedFile{{"the playbook", r.path}, {"the policy", o.policy}, {"the --inputs file", o.inputsFile},
		{"the report given to --resume", o.resume}, {"the inventory", o.remote.inventory}}
	for _, f := range o.remote.knownHosts {
		out = append(out, namedFile{"a --known-hosts file", f})
	}
	return out
}

// sinks are where the run's reports go, for the check of --audit-log.
func (r *runner) sinks() []namedFile {
	o := r.o
	return []namedFile{{"--report", o.reportPath}, {"--junit", o.junit}, {"--markdown", o.markdown}, {"--html", o.html},
		{"$GITHUB_STEP_SUMMARY", r.e.getenv("GITHUB_STEP_SUMMARY")}}
}
