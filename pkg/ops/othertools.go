package ops

import "slices"

// othersNames maps the names that Ansible modules, GitHub Actions and
// shell habit give to a task onto the operation that does it here, with
// how to write it: `op: shell` or `op: http.get` is what a user coming
// from those tools writes first, and no spelling distance leads from it
// to shell.exec or http.request.
var othersNames = map[string]struct{ op, how string }{
	"shell":           {"shell.exec", "with: {script: ...} for a shell line, or command: [...] for a program and its arguments"},
	"command":         {"shell.exec", "with: {command: [...]}: a program and its arguments, no shell"},
	"raw":             {"shell.exec", "with: {script: ...}"},
	"script":          {"shell.exec", "with: {script: ...}"},
	"run":             {"shell.exec", "with: {script: ...}"},
	"bash":            {"shell.exec", "with: {script: ...}"},
	"sh":              {"shell.exec", "with: {script: ...}"},
	"exec":            {"shell.exec", "with: {command: [...]} or {script: ...}"},
	"shell.run":       {"shell.exec", "with: {script: ...} or {command: [...]}"},
	"shell.command":   {"shell.exec", "with: {command: [...]}"},
	"shell.script":    {"shell.exec", "with: {script: ...}"},
	"cmd.run":         {"shell.exec", "with: {command: [...]} or {script: ...}"},
	"command.run":     {"shell.exec", "with: {command: [...]} or {script: ...}"},
	"uri":             {"http.request", "with: {url: ..., method: GET}"},
	"get_url":         {"http.request", "with: {url: ...}"},
	"curl":            {"http.request", "with: {url: ..., method: GET}"},
	"http":            {"http.request", "with: {url: ..., method: GET}"},
	"http.get":        {"http.request", "with: {url: ..., method: GET}"},
	"http.head":       {"http.request", "with: {url: ..., method: HEAD}"},
	"http.post":       {"http.request", "with: {url: ..., method: POST, body: ...}"},
	"http.put":        {"http.request", "with: {url: ..., method: PUT, body: ...}"},
	"http.patch":      {"http.request", "with: {url: ..., method: PATCH, body: ...}"},
	"http.delete":     {"http.request", "with: {url: ..., method: DELETE}"},
	"debug":           {"control.log", "with: {message: ...}"},
	"echo":            {"control.log", "with: {message: ...}"},
	"log":             {"control.log", "with: {message: ...}"},
	"fail":            {"control.fail", "with: {message: ...}"},
	"assert":          {"control.assert", "with: {that: EXPRESSION, message: ...}"},
	"pause":           {"control.sleep", "with: {duration: 30s}; to wait for a person, give the step confirm: instead"},
	"sleep":           {"control.sleep", "with: {duration: 30s}"},
	"wait":            {"control.sleep", "with: {duration: 30s}"},
	"set_fact":        {"control.set", "with: {name: value}, read later as steps.<id>.output.name"},
	"set":             {"control.set", "with: {name: value}, read later as steps.<id>.output.name"},
	"wait_for":        {"net.tcp_check", "with: {address: HOST:PORT, expect: reachable} and a retry:, or ssh.wait for a host coming back from a reboot"},
	"copy":            {"file.copy", "with: {src: ..., dest: ...}; ssh.upload copies to a remote host"},
	"template":        {"file.template", "with: {src: ..., dest: ..., values: {...}}"},
	"stat":            {"file.stat", "with: {path: ...}"},
	"find":            {"file.find", ""},
	"unarchive":       {"archive.extract", ""},
	"archive":         {"archive.create", ""},
	"fetch":           {"ssh.download", ""},
	"include":         {"playbook.run", "with: {path: other.yaml}"},
	"import_playbook": {"playbook.run", "with: {path: other.yaml}"},
	"include_tasks":   {"playbook.run", "with: {path: other.yaml}"},
	"service":         {"shell.exec", "with: {command: [systemctl, restart, UNIT]} for a systemd unit; supervisor.restart restarts what process.start supervises"},
	"systemd":         {"shell.exec", "with: {command: [systemctl, restart, UNIT]} for a systemd unit; supervisor.restart restarts what process.start supervises"},
	"service.restart": {"shell.exec", "with: {command: [systemctl, restart, UNIT]} for a systemd unit; supervisor.restart restarts what process.start supervises"},
	"systemd.restart": {"shell.exec", "with: {command: [systemctl, restart, UNIT]} for a systemd unit; supervisor.restart restarts what process.start supervises"},
	"process.restart": {"supervisor.restart", "for what process.start supervises; for a systemd unit, shell.exec with command: [systemctl, restart, UNIT]"},
}

// othersHint returns `; to do what NAME does elsewhere, use op: X (HOW)`
// for a name other tools use, when X is registered; "" otherwise.
func (r *Registry) othersHint(name string) string {
	o, ok := othersNames[name]
	if !ok {
		return ""
	}
	r.mu.RLock()
	_, registered := r.ops[o.op]
	r.mu.RUnlock()
	if !registered {
		return ""
	}
	if o.how == "" {
		return "; for what " + name + " does elsewhere, write op: " + o.op
	}
	return "; for what " + name + " does elsewhere, write op: " + o.op + ", " + o.how
}

// OthersNames returns the names other tools use that an unknown-operation
// error answers with an operation of this registry's kind, sorted.
func OthersNames() []string {
	names := make([]string, 0, len(othersNames))
	for n := range othersNames {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
