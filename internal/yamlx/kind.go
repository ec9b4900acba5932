package yamlx

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Kind is one of the files arsenal-run reads, as an operator hands them
// to its flags: a playbook, a policy, a keys file, an inventory or a run's
// report. Each is told by a top-level key that no other kind has.
type Kind int

// The kinds of file.
const (
	KindPlaybook Kind = iota
	KindPolicy
	KindKeys
	KindInventory
	KindReport
	// KindInputs is an inputs file (run --inputs): a mapping of a
	// playbook's own input names, so no key tells it.
	KindInputs
)

// kinds says, for each kind, what it is called, the top-level keys that
// tell it (any one of them), how a message shows them and what takes the
// file. The report comes first: its top level also has steps and roles.
var kinds = []struct {
	kind  Kind
	name  string
	tells []string
	shown string
	takes string
}{
	{KindReport, "a run's report", []string{"report_version"}, "report_version", "show it with 'arsenal-run report show FILE', or rerun its failed steps with 'arsenal-run run PLAYBOOK --resume FILE'"},
	{KindPlaybook, "a playbook", []string{"steps"}, "steps", "give it as the PLAYBOOK of run, validate or schedule, or put it in serve's --playbooks DIR"},
	{KindPolicy, "a policy", []string{"roles"}, "roles", "give it with --policy FILE"},
	{KindKeys, "a keys file", []string{"keys", "certs"}, "keys", "give it to serve with --keys FILE"},
	{KindInventory, "an inventory", []string{"hosts", "groups"}, "hosts, groups", "give it to run, validate, schedule or serve with --inventory FILE"},
	{KindInputs, "an inputs file", nil, "", "give it to run with --inputs FILE"},
}

func (k Kind) name() string {
	for _, e := range kinds {
		if e.kind == k {
			return e.name
		}
	}
	return "this file"
}

// OtherKind tells, for root read as a want file, which other of
// arsenal-run's files it is instead, by its top-level keys: it has none
// of the keys that tell a want file, and one that tells another kind (a
// report is told by its own key whatever else it has). msg says what the
// file is and which flag takes it; at is the key that tells. ok is false
// when root may be a want file with mistakes, which its loader reports.
func OtherKind(root *yaml.Node, want Kind) (at *yaml.Node, msg string, ok bool) {
	root = Deref(root)
	if root == nil || root.Kind != yaml.MappingNode {
		return nil, "", false
	}
	has := map[string]*yaml.Node{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := root.Content[i]; k.Kind == yaml.ScalarNode {
			if _, dup := has[k.Value]; !dup {
				has[k.Value] = k
			}
		}
	}
	tells := func(keys []string) *yaml.Node {
		for _, k := range keys {
			if n := has[k]; n != nil {
				return n
			}
		}
		return nil
	}
	own := false // root has a key that tells a want file
	for _, e := range kinds {
		own = own || e.kind == want && tells(e.tells) != nil
	}
	for _, e := range kinds {
		if e.kind == want || own && e.kind != KindReport {
			continue
		}
		if n := tells(e.tells); n != nil {
			return n, fmt.Sprintf("this is %s (%s), not %s: %s", e.name, e.shown, want.name(), e.takes), true
		}
	}
	return nil, "", false
}

// Misfiled is OtherKind for data, the raw text of a file read as a want
// file that did not load: when data is another of arsenal-run's files, it
// returns the one diagnostic that says so and which flag takes it, in
// place of the problems of reading it as a want file (a keys file read as
// a policy has every key unknown). It reads only the top level, so a file
// that the want file's limits refuse (nested too deeply for a keys file,
// say) is told all the same; a file that is not YAML is not told.
func Misfiled(file string, data []byte, want Kind) (Diagnostics, bool) {
	var doc yaml.Node
	if yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc) != nil || doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, false
	}
	at, msg, ok := OtherKind(doc.Content[0], want)
	if !ok {
		return nil, false
	}
	return Diagnostics{{File: file, Pos: PosOf(at), Msg: msg}}, true
}
