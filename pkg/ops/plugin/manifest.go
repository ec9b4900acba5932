// Package plugin adds operations that are external executables, for teams
// that do not write Go. A plugin directory holds one manifest per
// operation, NAME.yaml, read as strictly as a playbook:
//
//	version: 1
//	name: acme.greet            # category.name, not clashing with another op
//	category: acme
//	description: Greet someone.
//	risk: read                  # read | write | destructive
//	command: [./greet.py]       # relative to the manifest
//	timeout: 30s
//	env: [LANG]                 # the only variables passed through
//	params: {type: object, properties: {who: {type: string}}, required: [who]}
//	output: {type: object, properties: {greeting: {type: string}}}
//
// params and output are JSON Schemas (draft 2020-12). The top-level
// properties of params become the operation's parameters (shown by ops
// describe and checked at validate time like any op's); the whole schema
// is checked as well, with literal values at load and every value at run
// time. The protocol, the environment and the limits are in exec.go.
package plugin

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// Limits of a manifest.
const (
	MaxManifestSize = 256 << 10
	MaxPlugins      = 1000
	DefaultTimeout  = time.Minute
)

var manifestLimits = yamlx.Limits{
	MaxFileSize: MaxManifestSize, MaxDepth: 32, MaxAliasNodes: 1000, MaxNodes: 50_000,
	SplitHint: "a plugin manifest this large is unlikely to be right: check that the file is the plugin's manifest", EmptyHint: "a manifest needs version, name, category, description, risk and command",
}

var (
	manifestKeys = []string{"version", "name", "category", "description", "risk", "command", "timeout", "env", "params", "output"}
	opNameRE     = regexp.MustCompile(`^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$`)
)

// Manifest is a loaded plugin manifest.
type Manifest struct {
	File        string
	Name        string
	Category    string
	Description string
	Risk        ops.Risk
	// Command is the program and its arguments; the program is resolved:
	// relative to the manifest's directory when it has a slash, else in
	// PATH when the plugins are loaded.
	Command []string
	Timeout time.Duration
	Env     []string
	// Params and Output are the JSON Schemas, as plain data; nil when the
	// manifest has none (no params; any object as output).
	Params, Output map[string]any
	namePos        yamlx.Pos
}

// Options tune the loaded plugins; zero fields take the defaults of
// shell.exec.
type Options struct {
	// OutputLimit caps stdout and stderr, each (default 1 MiB, as shell.exec).
	OutputLimit int
	// KillGrace is the time between SIGTERM and SIGKILL (default 2s).
	KillGrace time.Duration
	// WaitDelay is how long a plugin waits for the output pipes to close
	// after the process group is gone, in case a process that left the
	// group (setsid) still holds them, once it has read what the group
	// wrote. Default 1s.
	WaitDelay time.Duration
}

// Manifests are the paths of dir's manifests, the files named *.yaml and
// *.yml in any case (greet.YAML too), in name order: those Load reads. A
// dir that cannot be listed is an error that names it and what to do.
func Manifests(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, unlisted(dir, err)
	}
	var files []string
	for _, e := range entries {
		if isManifestName(e.Name()) {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(files)
	return files, nil
}

// unlisted is the error of a plugin directory that cannot be listed, with
// what to do about it.
func unlisted(dir string, err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("cannot list the plugin manifests in %s: permission denied; make the directory readable by the user running arsenal-run (chmod a+rx %s), or name another plugin directory", dir, dir)
	}
	return fmt.Errorf("cannot list the plugin manifests in %s: %w", dir, err)
}

// isManifestName says whether a file of a plugin directory is read as a
// manifest: its name ends in .yaml or .yml, in any case, and does not
// start with a dot (an editor's lock, .#greet.yaml, or a swap file is
// not an operation, as a playbook directory's hidden files are not
// playbooks).
func isManifestName(name string) bool {
	if strings.HasPrefix(name, ".") {
		return false
	}
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// Load reads every manifest in dir (Manifests), in name order, and
// registers their operations on reg. A dir that does not exist holds no plugins.
// Every problem of every manifest is returned at once, as diagnostics
// with file:line:column; the manifests without problems are registered
// even then, so that the caller decides whether to go on.
func Load(dir string, reg *ops.Registry, opt Options) error {
	if _, err := os.Stat(dir); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("plugins: %w", err)
	}
	// Anyone who may write the directory may add an operation (the sticky
	// bit keeps others' files out, not new ones).
	if msg := fsx.PathAnyoneMayWrite(dir, "the plugin directory", "add an operation run with the rights of this user"); msg != "" {
		return fmt.Errorf("plugins: %s", msg)
	}
	files, err := Manifests(dir)
	if err != nil {
		return fmt.Errorf("plugins: %w", err)
	}
	var all yamlx.Diagnostics
	if len(files) > MaxPlugins {
		return fmt.Errorf("plugins: %s holds %d manifests, over the limit of %d", dir, len(files), MaxPlugins)
	}
	// loaded remembers where each plugin's name was declared, so that a
	// second manifest of the same name can point at the first.
	loaded := map[string]string{}
	for _, f := range files {
		m, err := ReadManifest(f)
		if err != nil {
			all = append(all, diags(err, f)...)
			continue
		}
		p, err := newPlugin(m, opt)
		if err != nil {
			all = append(all, diags(err, f)...)
			continue
		}
		p.mem = reg.OutputMemory()
		// A category of the built-in operations is refused: a policy's
		// allow: [file.*] was written for them, and would cover a plugin
		// it never meant to. (A name taken already is left to Register,
		// which says by what.)
		if _, err := reg.Get(m.Name); err != nil { // a name not taken
			if other := builtinOf(reg, m.Category, loaded); other != "" {
				all = append(all, &yamlx.Diagnostic{File: f, Pos: m.namePos, Msg: fmt.Sprintf(
					"category %s is that of built-in operations (%s, …), which a policy's allow: [%s.*] is written for; give the plugin a category of its own, like acme.%s",
					m.Category, other, m.Category, strings.TrimPrefix(m.Name, m.Category+"."))})
				continue
			}
		}
		if err := reg.Register(p.spec, p); err != nil {
			msg := err.Error()
			if errors.Is(err, ops.ErrDuplicateOp) {
				if first, ok := loaded[m.Name]; ok {
					msg = fmt.Sprintf("operation %s is already declared by the plugin manifest %s; give this plugin a name of its own, or remove one of the two", m.Name, first)
				} else {
					msg = fmt.Sprintf("operation %s is built in (see 'arsenal-run ops describe %s'); give the plugin a name of its own", m.Name, m.Name)
				}
			}
			all = append(all, &yamlx.Diagnostic{File: f, Pos: m.namePos, Msg: msg})
			continue
		}
		loaded[m.Name] = fmt.Sprintf("%s:%d:%d", f, m.namePos.Line, m.namePos.Col)
	}
	if len(all) > 0 {
		return all
	}
	return nil
}

// builtinOf names an operation of category in reg that is not one of the
// plugins loaded so far, the first in name order; "" when there is none.
func builtinOf(reg *ops.Registry, category string, loaded map[string]string) string {
	for _, e := range reg.List(category) {
		if _, plugin := loaded[e.Spec.Name]; !plugin {
			return e.Spec.Name
		}
	}
	return ""
}

func diags(err error, file string) yamlx.Diagnostics {
	var ds yamlx.Diagnostics
	if errors.As(err, &ds) {
		return ds
	}
	return yamlx.Diagnostics{{File: file, Pos: yamlx.Pos{Line: 1, Col: 1}, Msg: err.Error()}}
}

// ReadManifest reads and checks one manifest file: keys, types, the name
// and category, the command (which must exist and be executable), the
// timeout, the env names, and that params and output are JSON Schemas.
func ReadManifest(file string) (*Manifest, error) {
	// Never blocks on a FIFO named like a manifest.
	f, err := fsx.Open(file)
	// A file that does not open, or is not to be trusted, has no line:
	// the diagnostic names the file alone (Pos zero).
	if err != nil {
		return nil, yamlx.Diagnostics{{File: file, Msg: unreadable(file, err)}}
	}
	defer f.Close()
	// Whoever may rewrite a manifest chooses what its operation runs, as
	// the daemon's user: it is judged as the keys file and the policy are.
	if msg := fsx.AnyoneMayWrite(f, file, "the manifest", "choose the program the operation runs"); msg != "" {
		return nil, yamlx.Diagnostics{{File: file, Msg: msg}}
	}
	if err := yamlx.Oversize(f, file, manifestLimits); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxManifestSize+1))
	if err != nil {
		return nil, yamlx.Diagnostics{{File: file, Msg: fmt.Sprintf("cannot read the manifest: %v", err)}}
	}
	return ParseManifest(file, data)
}

// unreadable is the problem of a manifest file that cannot be opened,
// with what to do about it.
func unreadable(file string, err error) string {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Sprintf("cannot read the manifest: permission denied; make it readable by the user running arsenal-run (chmod a+r %s), or move it out of the plugin directory", file)
	}
	return fmt.Sprintf("cannot read the manifest: %v; fix it or move it out of the plugin directory", err)
}

// ParseManifest reads a manifest held in memory; file names it in
// diagnostics and anchors the command.
func ParseManifest(file string, data []byte) (*Manifest, error) {
	d := &yamlx.Diags{File: file}
	root := yamlx.Parse(data, manifestLimits, d)
	if root == nil {
		return nil, d.Err()
	}
	if at := playbookKey(root); at != nil {
		// Its steps, name and version read as a manifest's would give a
		// list of missing keys that says nothing of the real mistake.
		d.Add(yamlx.PosOf(at), "this is a playbook (steps), not a plugin manifest: a plugin directory holds only manifests; move it out of %s: a playbook anywhere uses these plugins with --plugins %s", filepath.Dir(file), filepath.Dir(file))
		return nil, d.Err()
	}
	m := &Manifest{File: file, Timeout: DefaultTimeout}
	seen := map[string]*yaml.Node{}
	yamlx.Fields(root, "the manifest", manifestKeys, d, func(key string, k, v *yaml.Node) {
		seen[key] = v
		switch key {
		case "version":
			if n, ok := yamlx.Int(v, "version", 0, 1<<20, d); ok && n != 1 {
				d.Add(yamlx.PosOf(v), "unknown manifest version %d; this arsenal-run reads version 1", n)
			}
		case "name":
			m.namePos = yamlx.PosOf(yamlx.Deref(v))
			if s, ok := yamlx.Str(v, "name", d); ok {
				if !opNameRE.MatchString(s) {
					d.Add(yamlx.PosOf(v), "name %q: write it category.name in lower-case letters, digits and _, like acme.greet", yamlx.Truncate(s, 60))
				}
				m.Name = s
			}
		case "category":
			m.Category, _ = yamlx.Str(v, "category", d)
		case "description":
			if s, ok := yamlx.Str(v, "description", d); ok {
				if strings.TrimSpace(s) == "" {
					d.Add(yamlx.PosOf(v), "description is empty; say in a sentence what the operation does")
				}
				m.Description = s
			}
		case "risk":
			if s, ok := yamlx.Str(v, "risk", d); ok {
				switch ops.Risk(s) {
				case ops.RiskRead, ops.RiskWrite, ops.RiskDestructive:
					m.Risk = ops.Risk(s)
				default:
					d.Add(yamlx.PosOf(v), "unknown risk %q; use read, write or destructive", s)
				}
			}
		case "command":
			m.Command = command(v, filepath.Dir(file), d)
		case "timeout":
			m.Timeout = duration(v, d)
		case "env":
			m.Env = envNames(v, d)
		case "params":
			// A schema the meta-schema refuses has its other problems
			// reported with it, all at once; only the defaults need it
			// compiled.
			s, valid := schemaOf(v, "params", d)
			if s != nil {
				checkWriteOnly(v, "params", d)
				checkKeywords(v, "params", d)
				checkRequired(v, s, d)
			}
			if valid {
				m.Params = s
				checkDefaults(v, s, d)
			}
		case "output":
			s, valid := schemaOf(v, "output", d)
			if s != nil {
				checkWriteOnly(v, "output", d)
				checkKeywords(v, "output", d)
			}
			if valid {
				m.Output = s
			}
		}
	})
	for _, k := range []string{"version", "name", "category", "description", "risk", "command"} {
		if seen[k] == nil {
			d.Add(yamlx.PosOf(root), "missing %s; a manifest needs version, name, category, description, risk and command", k)
		}
	}
	if opNameRE.MatchString(m.Name) && m.Category != "" {
		if c, _, _ := strings.Cut(m.Name, "."); c != m.Category {
			d.Add(yamlx.PosOf(seen["category"]), "category %q does not match the name %s; the category is the part of the name before the dot (%s)", m.Category, m.Name, c)
		}
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	return m, nil
}

// playbookKey is the steps key of a playbook saved in the plugin
// directory (a mapping with steps and no command); nil for anything else.
func playbookKey(root *yaml.Node) *yaml.Node {
	n := yamlx.Deref(root)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var steps *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "steps":
			steps = n.Content[i]
		case "command":
			return nil
		}
	}
	return steps
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
