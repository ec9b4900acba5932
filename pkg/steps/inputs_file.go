package steps

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// inputsLimits bound an inputs file as a playbook is bounded.
var inputsLimits = yamlx.Limits{
	MaxFileSize:   MaxFileSize,
	MaxDepth:      MaxDepth,
	MaxAliasNodes: MaxAliasNodes,
	MaxNodes:      MaxNodes,
	SplitHint:     "pass large values in a file the playbook reads instead",
	EmptyHint:     "write a mapping of input names to values, like `threshold: 90`",
}

// LoadInputs reads an inputs file (--inputs FILE): a YAML or JSON mapping
// of the playbook's input names to values. Each value is converted to its
// input's type. Every problem is reported at once as Diagnostics naming
// the file, line and column: an unknown name (with the closest declared
// one), a value of the wrong type or outside the input's enum. The value
// of a secret input is never quoted. Inputs the file does not give are not
// its business; the run completes them from the environment and defaults.
func LoadInputs(path string, pb *Playbook, overridden ...string) (map[string]any, error) {
	// A file that does not open has no line: the diagnostic names the
	// file alone (Pos zero).
	unread := func(err error) error {
		return Diagnostics{{File: path, Msg: fsx.Unreadable("the inputs file", path, err)}}
	}
	f, err := fsroot.Open(path) // a FIFO is refused, not waited on; so is a protected file
	switch {
	case errors.As(err, new(*fsroot.ProtectedError)):
		return nil, Diagnostics{{File: path, Msg: err.Error()}}
	case err != nil:
		return nil, unread(err)
	}
	defer f.Close()
	if err := yamlx.Oversize(f, path, inputsLimits); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, unread(err)
	}
	return ParseInputs(path, data, pb, overridden...)
}

// ParseInputs is LoadInputs for a file held in memory. The inputs named
// in overridden are given again elsewhere (--input wins over the file):
// their values here are left out unchecked, so a wrong one can be mended
// from the command line.
func ParseInputs(file string, data []byte, pb *Playbook, overridden ...string) (map[string]any, error) {
	d := &yamlx.Diags{File: file}
	root := yamlx.Parse(data, inputsLimits, d)
	if root == nil {
		return nil, d.Err()
	}
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!str" {
		// count=3, as on the command line or in an env file: YAML
		// reads the lines as one text.
		if m := eqNameRE.FindStringSubmatch(root.Value); m != nil {
			as, v := m[1]+": followed by the value", "…"
			if in := pb.Input(m[1]); in != nil && !in.Secret && m[2] != "" && len(m[2]) <= 40 {
				as, v = m[1]+": "+m[2], m[2] // a secret's value is never shown
			}
			d.Add(yamlx.PosOf(root), "an inputs file must be a mapping of input names to values, not text: %s= is no key; write %s, one input a line, or give it on the command line as --input %s=%s", m[1], as, m[1], v)
			return nil, d.Err()
		}
	}
	pairs, ok := yamlx.Pairs(root, "an inputs file", d)
	if !ok {
		return nil, d.Err()
	}
	if at, msg, ok := yamlx.OtherKind(root, yamlx.KindInputs); ok && misfiledInputs(pb, pairs, at) {
		d.Add(yamlx.PosOf(at), "%s", msg)
		return nil, d.Err()
	}
	out := make(map[string]any, len(pairs))
	for _, p := range pairs {
		in := pb.Input(p.Key)
		if in == nil {
			d.Add(yamlx.PosOf(p.K), "%s", unknownInput(pb, p.Key))
			continue
		}
		if slices.Contains(overridden, p.Key) {
			continue
		}
		// An inputs file has no place for a warning: a value YAML reads
		// other than as written (0123 is octal) is refused, not taken.
		read := &yamlx.Diags{File: file}
		var plain any
		if in.Secret {
			plain = yamlx.PlainSecret(p.V, "input "+p.Key, read)
		} else {
			plain = yamlx.Plain(p.V, read)
		}
		if len(read.List) > 0 {
			for _, x := range read.List {
				if x.Severity == yamlx.Warning {
					x.Severity = yamlx.Error
					if !in.Secret {
						x.Msg = "input " + p.Key + ": " + x.Msg
					}
				}
				d.List = append(d.List, x)
			}
			continue
		}
		v, err := in.Coerce(plain)
		if err != nil {
			msg := err.Error()
			if in.Secret {
				msg = in.SecretMismatch()
			}
			if p.V.Kind == yaml.AliasNode {
				// Point at the key that uses the alias; the anchor's value
				// may suit the other keys that use it.
				a := yamlx.Deref(p.V)
				// After what is wrong, before the advice.
				head, advice, _ := strings.Cut(msg, "; ")
				msg = head + fmt.Sprintf(" (the value of *%s, anchored at line %d, column %d)", p.V.Value, a.Line, a.Column)
				if advice != "" {
					msg += "; " + advice
				}
			}
			d.Add(yamlx.PosOf(p.V), "input %s: %s", p.Key, msg)
			continue
		}
		out[p.Key] = v
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// misfiledInputs reports whether pairs, an inputs file whose key at tells
// another of arsenal-run's files, is that file beyond doubt: a run's
// report (report_version) or a playbook (steps, a list), the key not an
// input pb declares. An inventory's hosts or a policy's roles may well be
// an input's name, mistyped or not: those keys are left to the check of
// each input, which names the closest one.
func misfiledInputs(pb *Playbook, pairs []yamlx.Pair, at *yaml.Node) bool {
	if pb.Input(at.Value) != nil {
		return false
	}
	for _, p := range pairs {
		if p.K != at {
			continue
		}
		v := yamlx.Deref(p.V)
		switch p.Key {
		case "report_version":
			return v.Kind == yaml.ScalarNode
		case "steps":
			return v.Kind == yaml.SequenceNode
		}
	}
	return false
}

// eqNameRE matches text that starts as name=value.
var eqNameRE = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)=(\S*)`)

func unknownInput(pb *Playbook, name string) string {
	if len(pb.Inputs) == 0 {
		return fmt.Sprintf("unknown input %q: %s declares no inputs", name, pb.Name)
	}
	names := make([]string, len(pb.Inputs))
	for i, in := range pb.Inputs {
		names[i] = in.Name
	}
	return fmt.Sprintf("unknown input %q%s; %s declares %s", name, suggest.DidYouMean(name, names), pb.Name, strings.Join(names, ", "))
}

// inputKeySynonyms are the keys other tools give an input (GitHub
// Actions' options, Rundeck's values), with the key written here.
var inputKeySynonyms = map[string]string{
	"choices": "enum", "options": "enum", "values": "enum", "allowed": "enum", "allowed_values": "enum",
	"regex": "pattern", "help": "description", "minimum": "min", "maximum": "max",
}

// inputKeyHint names the key an input's unknown key is written as here;
// "" when it is no other tool's.
func inputKeyHint(key string) string {
	if k, ok := inputKeySynonyms[key]; ok {
		return fmt.Sprintf(" (write %s here, like %s: %s)", k, k, map[string]string{"enum": "[a, b]", "pattern": "'^[a-z]+$'", "description": "text", "min": "1", "max": "10"}[k])
	}
	return ""
}
