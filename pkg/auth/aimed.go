package auth

import (
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// AimedUse is where a playbook uses an input as the address an operation
// connects to: an http.request url, a notify webhook's url, an SMTP host,
// a net.tcp_check address; in the playbook itself or in a sub-playbook it
// passes the input down to.
type AimedUse struct {
	Op, Param string
	// Step is the id of the playbook's step (or notify entry) that
	// connects, or that runs the sub-playbook that does; Where names
	// what connects for messages ("step call", "notify entry chat",
	// "step call of sub/hook.yaml, run by step fwd").
	Step, Where string
	// Via is what carried the input there, for messages: "" for the
	// input itself, or " (through vars.url)" and the like.
	Via string
	// File is the sub-playbook that holds the address, as named from the
	// playbook's directory; "" when the playbook itself does.
	File      string
	Line, Col int // of the address text, in File or the playbook
	// AtLine and AtCol are where the playbook itself aims the input: the
	// address text, or the value a playbook.run step passes down.
	AtLine, AtCol int
	// Unread is, when the input is passed to a sub-playbook the check
	// cannot read, why ("whose path is an expression, ..."): where it
	// leads then cannot be told, and it counts as an address. Op is then
	// playbook.run.
	Unread string
}

// Leads says, for messages, what the input is: "the address
// http.request's url connects to", or passed to a sub-playbook that
// cannot be read.
func (u AimedUse) Leads() string {
	if u.Unread != "" {
		return "passed to a sub-playbook " + u.Unread + ", so where it leads cannot be told"
	}
	return "the address " + u.Op + "'s " + u.Param + " connects to"
}

// Aim is what a playbook's text tells of where its inputs lead and of the
// secrets its runs hold that none of its own inputs is.
type Aim struct {
	// Uses are, by input name, the first use of each as an address.
	Uses map[string]AimedUse
	// Held are the secrets a run holds besides the playbook's own inputs.
	Held []Held
	// Subs says the playbook runs sub-playbooks named literally: what
	// they say was read now, and may change without the playbook
	// (Current tells).
	Subs bool
	// reads are the sub-playbook files read, each once, with what was
	// read.
	reads []fileRead
}

// fileRead is what reading a sub-playbook file gave: the digest of its
// bytes, or that it could not be read.
type fileRead struct {
	abs string
	ok  bool
	sum [sha256.Size]byte
}

// Current says whether every sub-playbook file a was made from reads as
// it did then, so that a still holds: it reads them again, without
// parsing them. A file that changed, appeared or went away makes it
// false.
func (a Aim) Current() bool {
	for _, r := range a.reads {
		if now := readSub(r.abs); now != r {
			return false
		}
	}
	return true
}

// readSub reads the playbook file at abs as the walk does: its bytes,
// up to steps.MaxFileSize (ok false past it, or when it cannot be read).
func readSub(abs string) fileRead {
	data, ok := readLimited(abs)
	r := fileRead{abs: abs, ok: ok}
	if ok {
		r.sum = sha256.Sum256(data)
	}
	return r
}

func readLimited(abs string) ([]byte, bool) {
	f, err := os.Open(abs)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, steps.MaxFileSize+1))
	return data, err == nil && len(data) <= steps.MaxFileSize
}

// Held is a secret a run of a playbook may hold that no caller gives.
type Held struct {
	// Kind is "env" (an expression reads env.Name), "output" (step Name
	// runs Op, which declares secret outputs), "input" (secret input
	// Name of the sub-playbook File, which the step running it does not
	// pass) or "unread" (step Name runs a sub-playbook that cannot be
	// read, so may hold any secret; Op says why, as "its path is an
	// expression").
	Kind, Name string
	Op         string
	// Env is an input's env: (or from_env:) variable; Filled says a
	// default or from_file gives it a value otherwise.
	Env    string
	Filled bool
	// File is the sub-playbook, as named from the playbook's directory;
	// "" for the playbook itself.
	File      string
	Line, Col int
}

// AimedInputs reads the playbook file's bytes data and returns, for each
// of names that it uses as the address an operation of reg connects to,
// its first such use: written there itself, or carried through the
// playbook's vars, env variables, a control.set step's output or the item
// of a fan-out, as the policy's check of a grant's free secrets follows
// them. Another operation's output is not followed, nor a sub-playbook
// (AimOf follows those). Data that is no YAML mapping gives none.
func AimedInputs(reg *ops.Registry, data []byte, names []string) map[string]AimedUse {
	root := yamlRoot(data)
	if reg == nil || len(names) == 0 || root == nil {
		return nil
	}
	w := &aimWalk{reg: reg}
	out := map[string]AimedUse{}
	for _, name := range names {
		if u, ok := w.direct(aimDoc{root: root}, name); ok {
			out[name] = u
		}
	}
	return out
}

// AimOf is AimedInputs for the playbook at abs (its bytes data), which
// also follows each input into the sub-playbooks that playbook.run steps
// with a literal path run (read now, from abs's directory), and lists the
// secrets a run holds besides the playbook's inputs (Aim.Held): the env
// variables its expressions read, the secret outputs of its operations,
// and, in the sub-playbooks, those and the secret inputs the calling step
// does not pass down.
func AimOf(reg *ops.Registry, abs string, data []byte, names []string) Aim {
	root := yamlRoot(data)
	if reg == nil || root == nil {
		return Aim{}
	}
	w := &aimWalk{reg: reg, docs: map[string]*yaml.Node{}, held: map[string]bool{}}
	top := aimDoc{root: root, abs: abs, depth: 1}
	w.collect(top)
	a := Aim{Held: w.found, Subs: w.subs, reads: w.reads}
	for _, name := range names {
		if u, ok := w.find(top, name, nil); ok {
			if a.Uses == nil {
				a.Uses = map[string]AimedUse{}
			}
			a.Uses[name] = u
		}
	}
	return a
}

// aimWalk reads a playbook and its sub-playbooks for AimOf.
type aimWalk struct {
	reg   *ops.Registry
	docs  map[string]*yaml.Node // by absolute path; nil: does not read
	held  map[string]bool       // files whose Held are collected
	found []Held
	subs  bool
	reads []fileRead
}

// aimDoc is one playbook of the walk.
type aimDoc struct {
	root  *yaml.Node
	abs   string // its absolute path
	rel   string // as named from the top playbook's directory; "" for it
	depth int    // 1 for the top playbook
	// confined says its env reads none of the host's environment: it lies
	// outside the directory tree of the playbook that runs it, or is run
	// by one that is, so its expressions' env and its inputs' env: hold
	// only its own env files' variables, which are read inside the
	// caller's file roots (engine.subInputRoots).
	confined bool
}

// yamlRoot is data's top mapping, or nil.
func yamlRoot(data []byte) *yaml.Node {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	return doc.Content[0]
}

// direct is input's first use as an address in d itself.
func (w *aimWalk) direct(d aimDoc, input string) (AimedUse, bool) {
	refs := carriers(d.root, input)
	for _, u := range aimUses(w.reg, d.root) {
		if via, ok := carried(u, refs, input); ok {
			return AimedUse{Op: u.op, Param: u.param, Step: u.step, Where: u.where, Via: via, File: d.rel,
				Line: u.line, Col: u.col, AtLine: u.line, AtCol: u.col}, true
		}
	}
	return AimedUse{}, false
}

// find is input's first use as an address in d, or in a sub-playbook d
// passes it to as an input that sub-playbook leaves free (no enum, min,
// max or pattern). stack holds the files being searched, against loops.
func (w *aimWalk) find(d aimDoc, input string, stack []string) (AimedUse, bool) {
	if u, ok := w.direct(d, input); ok {
		return u, true
	}
	refs := carriers(d.root, input)
	for _, c := range w.calls(d) {
		// A sub-playbook that cannot be read, or whose inputs are an
		// expression, may use whatever it is passed as an address. (A
		// path the input decides chooses which playbook runs, not where
		// it connects: that playbook is given only what inputs: passes.)
		why := c.unread
		if why == "" && c.inputs != nil && c.inputs.Kind != yaml.MappingNode {
			why = "whose inputs are an expression"
		}
		if why != "" {
			if via, at := carriedIn(c.inputs, c.foreach, refs, input); at != nil {
				return AimedUse{Op: steps.SubPlaybookOp, Param: "inputs", Step: c.id, Where: "step " + c.id, Via: via, File: d.rel,
					Line: at.Line, Col: at.Column, AtLine: at.Line, AtCol: at.Column, Unread: why}, true
			}
			continue
		}
		if c.inputs == nil || slices.Contains(stack, c.child.abs) {
			continue
		}
		for i := 0; i+1 < len(c.inputs.Content); i += 2 {
			k, v := c.inputs.Content[i].Value, c.inputs.Content[i+1]
			via, at := carriedIn(v, c.foreach, refs, input)
			if at == nil || constrained(c.child.root, k) {
				continue
			}
			u, ok := w.find(c.child, k, append(stack, d.abs))
			if !ok {
				continue
			}
			u.Via = via + " (passed to " + c.child.rel + " as its input " + k + ")" + u.Via
			u.Where += " of " + c.child.rel + ", run by step " + c.id
			if d.rel != "" {
				u.Where += " of " + d.rel
			}
			u.Step, u.AtLine, u.AtCol = c.id, at.Line, at.Column
			return u, true
		}
	}
	return AimedUse{}, false
}

// carriedIn is the first string under n that carries input through one
// of refs, and through what (see carried); at is nil when none does.
func carriedIn(n, foreach *yaml.Node, refs []carrier, input string) (via string, at *yaml.Node) {
	if n == nil {
		return "", nil
	}
	eachString(n, func(s *yaml.Node) {
		if at == nil {
			if x, ok := carried(aimText{text: s.Value, foreach: foreach}, refs, input); ok {
				via, at = x, s
			}
		}
	})
	return via, at
}

// subCall is a playbook.run step.
type subCall struct {
	id      string
	inputs  *yaml.Node // its with.inputs
	foreach *yaml.Node
	path    *yaml.Node // its with.path
	// unread says why the sub-playbook cannot be read ("whose path is
	// an expression, ..."); "" when child is read.
	unread string
	child  aimDoc // root nil past steps.MaxSubDepth
}

// calls are d's playbook.run steps, the playbooks of those with a literal
// path read (up to steps.MaxSubDepth deep). One whose path is an
// expression, or names a file that does not read as a playbook now, is
// unread.
func (w *aimWalk) calls(d aimDoc) []subCall {
	var out []subCall
	eachStep(d.root, func(step *yaml.Node) {
		if scalar(mapValue(step, "op")) != steps.SubPlaybookOp {
			return
		}
		with := mapValue(step, "with")
		c := subCall{id: scalar(mapValue(step, "id")), inputs: mapValue(with, "inputs"), foreach: mapValue(step, "foreach"), path: mapValue(with, "path")}
		path := scalar(c.path)
		switch {
		case c.path == nil:
			c.path = step
			fallthrough
		case path == "" || strings.Contains(path, "${{"):
			c.unread = "whose path is an expression, read only when its step runs"
			out = append(out, c)
			return
		}
		w.subs = true
		rel, abs := path, path
		if !filepath.IsAbs(path) {
			rel, abs = filepath.Join(filepath.Dir(d.rel), path), filepath.Join(filepath.Dir(d.abs), path)
		}
		c.child = aimDoc{abs: filepath.Clean(abs), rel: rel, depth: d.depth + 1}
		c.child.confined = d.confined || !inTree(fsroot.Resolved(c.child.abs), fsroot.Resolved(filepath.Dir(d.abs)))
		if d.depth < steps.MaxSubDepth {
			if c.child.root = w.read(c.child.abs); c.child.root == nil {
				c.unread = "that does not read as a playbook now"
			}
		}
		out = append(out, c)
	})
	return out
}

// read parses the playbook at abs, once; nil when it does not read as one.
func (w *aimWalk) read(abs string) *yaml.Node {
	if root, ok := w.docs[abs]; ok {
		return root
	}
	var root *yaml.Node
	data, ok := readLimited(abs)
	r := fileRead{abs: abs, ok: ok}
	if ok {
		root, r.sum = yamlRoot(data), sha256.Sum256(data)
	}
	w.docs[abs] = root
	w.reads = append(w.reads, r)
	return root
}

// constrained says whether the playbook root bounds its input name with
// an enum, min, max or pattern.
func constrained(root *yaml.Node, name string) bool {
	in := mapValue(mapValue(root, "inputs"), name)
	for _, k := range []string{"enum", "min", "max", "pattern"} {
		if mapValue(in, k) != nil {
			return true
		}
	}
	return false
}

// inTree reports whether path is dir or lies under it.
func inTree(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
