package inventory

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// Limits of an inventory file.
const (
	MaxFileSize = 4 << 20
	MaxHosts    = 10000
	MaxGroups   = 10000
	// MaxJumps bounds the jump hosts in front of one host.
	MaxJumps = 8
)

// None, as a jump, means a direct connection even when a group names a
// jump host.
const None = "none"

var limits = yamlx.Limits{
	MaxFileSize: MaxFileSize, MaxDepth: 32, MaxAliasNodes: 10000, MaxNodes: 500_000,
	SplitHint: "split the inventory into several files", EmptyHint: "an inventory needs version and hosts",
}

var (
	topKeys      = []string{"version", "defaults", "hosts", "groups"}
	defaultsKeys = []string{"user", "port", "identity_file", "certificate_file", "vars"}
	hostKeys     = []string{"address", "port", "user", "identity_file", "certificate_file", "tags", "vars", "jump", "health_url"}
	groupKeys    = []string{"members", "vars", "jump", "description"}
)

// Load reads an inventory file. Every problem is reported at once, as
// yamlx.Diagnostics sorted by position.
func Load(path string) (*Inventory, error) {
	// Never blocks on a FIFO (os.Open would wait for a writer for ever)
	// and refuses a directory or a device. A file that does not open has
	// no line: the diagnostic names the file alone (Pos zero).
	f, err := fsx.Open(path)
	if err != nil {
		return nil, yamlx.Diagnostics{{File: path, Msg: fsx.Unreadable("the inventory", path, err)}}
	}
	defer f.Close()
	if err := yamlx.Oversize(f, path, limits); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, yamlx.Diagnostics{{File: path, Msg: fsx.Unreadable("the inventory", path, err)}}
	}
	return Parse(path, data)
}

// Parse reads an inventory held in memory. file names it in diagnostics;
// relative identity files are taken from its directory.
func Parse(file string, data []byte) (*Inventory, error) {
	d := &yamlx.Diags{File: file}
	root := yamlx.Parse(data, limits, d)
	if root == nil {
		return nil, misfiled(file, data, d.Err())
	}
	dir, _ := filepath.Abs(filepath.Dir(file))
	l := &loader{d: d, dir: dir, inv: &Inventory{File: file, hosts: map[string]*Host{}, groups: map[string][]string{}, groupPos: map[string]yamlx.Pos{}}}
	var versionSeen, hostsSeen bool
	yamlx.FieldsHint(root, "the inventory", topKeys, topKeyHint, d, func(key string, k, v *yaml.Node) {
		switch key {
		case "version":
			versionSeen = true
			if n, ok := yamlx.Int(v, "version", 0, 1<<20, d); ok && n != 1 {
				d.Add(yamlx.PosOf(v), "unknown inventory version %d; this arsenal-run reads version 1", n)
			}
		case "defaults":
			l.defaults(v)
		case "hosts":
			hostsSeen = true
			l.hostsNode = v
		case "groups":
			l.groupsNode = v
		}
	})
	if !versionSeen {
		d.Add(yamlx.PosOf(root), "missing version; add `version: 1` at the top")
	}
	if !hostsSeen {
		d.Add(yamlx.PosOf(root), "missing hosts; list at least one host under hosts:")
	}
	// Defaults first, wherever they are written, since hosts use them.
	if l.hostsNode != nil {
		l.hosts(l.hostsNode)
	}
	if l.groupsNode != nil {
		l.groups(l.groupsNode)
	}
	l.resolve()
	if err := d.Err(); err != nil {
		return nil, misfiled(file, data, err)
	}
	return l.inv, nil
}

// misfiled is err, the problems of reading data as an inventory, unless
// data is another of arsenal-run's files (a policy given as --inventory)
// or Ansible's INI inventory: then the one problem that says so, and
// which flag takes it or what to write.
func misfiled(file string, data []byte, err error) error {
	if ds, ok := iniInventory(file, data); ok {
		return ds
	}
	if ds, ok := yamlx.Misfiled(file, data, yamlx.KindInventory); ok {
		return ds
	}
	return err
}

// rawHost is a host as written, before groups and defaults apply.
type rawHost struct {
	h       *Host
	vars    map[string]any
	jump    string // "" = not set
	jumpPos yamlx.Pos
	from    string // the group the jump comes from, "" for the host's own
}

// rawGroup is a group as written.
type rawGroup struct {
	name    string
	pos     yamlx.Pos
	members []ref
	vars    map[string]any
	jump    string
	jumpPos yamlx.Pos
}

type ref struct {
	name string
	pos  yamlx.Pos
}

type loader struct {
	d          *yamlx.Diags
	dir        string
	inv        *Inventory
	hostsNode  *yaml.Node
	groupsNode *yaml.Node
	raw        map[string]*rawHost
	rawGroups  map[string]*rawGroup
	groupOrder []string
	// lists holds the hosts each group lists itself, subgroups the
	// groups it lists.
	lists     map[string]map[string]bool
	subgroups map[string][]string
}

func (l *loader) defaults(n *yaml.Node) {
	d := &l.inv.Defaults
	yamlx.Fields(n, "defaults", defaultsKeys, l.d, func(key string, k, v *yaml.Node) {
		switch key {
		case "user":
			d.User = l.user(v)
		case "port":
			d.Port, _ = yamlx.Int(v, "port", 1, 65535, l.d)
		case "identity_file":
			d.IdentityFile = l.path(v, "identity_file")
		case "certificate_file":
			d.CertificateFile = l.path(v, "certificate_file")
		case "vars":
			d.Vars = l.vars(v)
		}
	})
}

func (l *loader) hosts(n *yaml.Node) {
	if l.hostsList(n) {
		return
	}
	pairs, ok := yamlx.Pairs(n, "hosts", l.d)
	if !ok {
		return
	}
	if len(pairs) == 0 {
		l.d.Add(yamlx.PosOf(n), "hosts is empty; list at least one host")
		return
	}
	if len(pairs) > MaxHosts {
		l.d.Add(yamlx.PosOf(n), "%d hosts, over the limit of %d an inventory holds; split them across inventories, and run the playbook with each", len(pairs), MaxHosts)
		return
	}
	l.raw = map[string]*rawHost{}
	folded := map[string]*yaml.Node{} // lower-cased name -> its key
	for _, p := range pairs {
		if !l.name(p.Key, p.K, "host") {
			continue
		}
		if p.Key == All {
			// hosts("all") and a playbook's host: all mean every host:
			// a host of that name could not be selected alone.
			l.d.Add(yamlx.PosOf(p.K), "host %q would be taken for every host (%q selects them all); choose another name", All, All)
			continue
		}
		if first, ok := folded[strings.ToLower(p.Key)]; ok && first.Value != p.Key {
			// Host names are DNS-like: web-1 and Web-1 would be the
			// same machine to ssh, and "did you mean" would point from
			// one to the other.
			l.d.Add(yamlx.PosOf(p.K), "host %q differs only in letter case from host %q (line %d); host names are compared without case: rename or remove one", p.Key, first.Value, first.Line)
			continue
		}
		folded[strings.ToLower(p.Key)] = p.K
		h := &Host{Name: p.Key, Pos: yamlx.PosOf(p.K)}
		r := &rawHost{h: h}
		yamlx.FieldsHint(p.V, "host "+p.Key, hostKeys, hostKeyHint, l.d, func(key string, k, v *yaml.Node) {
			switch key {
			case "address":
				if s, ok := yamlx.Str(v, "address", l.d); ok {
					if err := checkAddress(s); err != nil {
						l.d.Add(yamlx.PosOf(v), "%v; give the address without user or port (set those with user: and port:)", err)
					}
					h.Address = s
				}
			case "port":
				h.Port, _ = yamlx.Int(v, "port", 1, 65535, l.d)
			case "user":
				h.User = l.user(v)
			case "identity_file":
				h.IdentityFile = l.path(v, "identity_file")
			case "certificate_file":
				h.CertificateFile = l.path(v, "certificate_file")
			case "tags":
				// A repeated tag is refused as a group's repeated member
				// is: a typo for another tag, which the host then lacks.
				listed := map[string]yamlx.Pos{}
				for _, t := range l.list(v, "tags") {
					if !validName(t.name) {
						l.d.Add(t.pos, "tag %q: use letters, digits, _, . and - (at most 64)", yamlx.Truncate(t.name, 40))
						continue
					}
					if first, dup := listed[t.name]; dup {
						l.d.Add(t.pos, "host %s lists tag %q twice (first at line %d, column %d); remove one", p.Key, t.name, first.Line, first.Col)
						continue
					}
					listed[t.name] = t.pos
					h.Tags = append(h.Tags, t.name)
				}
			case "vars":
				r.vars = l.vars(v)
			case "jump":
				r.jump, r.jumpPos = l.jump(v)
			case "health_url":
				if s, ok := yamlx.Str(v, "health_url", l.d); ok {
					u, err := url.Parse(s)
					switch {
					case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
						l.d.Add(yamlx.PosOf(v), "health_url %q is not an http:// or https:// URL", yamlx.Truncate(s, 60))
					case u.Port() != "":
						if _, err := checkPort(u.Port()); err != nil {
							l.d.Add(yamlx.PosOf(v), "health_url's port %s is not a number from 1 to 65535", u.Port())
						}
					}
					h.HealthURL = s
				}
			}
		})
		if h.Address == "" {
			// Like ssh, a host without an address is reached by its name.
			h.Address = p.Key
		}
		l.raw[p.Key] = r
		l.inv.hosts[p.Key] = h
		l.inv.order = append(l.inv.order, p.Key)
	}
}

func (l *loader) groups(n *yaml.Node) {
	pairs, ok := yamlx.Pairs(n, "groups", l.d)
	if !ok {
		return
	}
	if len(pairs) > MaxGroups {
		l.d.Add(yamlx.PosOf(n), "%d groups, over the limit of %d an inventory holds; merge groups that list the same hosts, or split the inventory", len(pairs), MaxGroups)
		return
	}
	l.rawGroups = map[string]*rawGroup{}
	groupFolded := map[string]*yaml.Node{}
	for _, p := range pairs {
		if !l.name(p.Key, p.K, "group") {
			continue
		}
		if p.Key == All {
			l.d.Add(yamlx.PosOf(p.K), "group %q is implicit (every host); choose another name", All)
			continue
		}
		if h := l.hostFold(p.Key); h != nil {
			also := ""
			if h.Name != p.Key {
				also = fmt.Sprintf(" %q but for letter case", h.Name)
			}
			l.d.Add(yamlx.PosOf(p.K), "group %q has the name of a host%s (line %d); a name must mean one thing, rename one", p.Key, also, h.Pos.Line)
			continue
		}
		if first, ok := groupFolded[strings.ToLower(p.Key)]; ok && first.Value != p.Key {
			l.d.Add(yamlx.PosOf(p.K), "group %q differs only in letter case from group %q (line %d); rename or remove one", p.Key, first.Value, first.Line)
			continue
		}
		groupFolded[strings.ToLower(p.Key)] = p.K
		g := &rawGroup{name: p.Key, pos: yamlx.PosOf(p.K)}
		v := yamlx.Deref(p.V)
		if v.Kind == yaml.MappingNode {
			yamlx.FieldsHint(v, "group "+p.Key, groupKeys, groupKeyHint, l.d, func(key string, k, v *yaml.Node) {
				switch key {
				case "members":
					g.members = l.list(v, "members")
				case "vars":
					g.vars = l.vars(v)
				case "jump":
					g.jump, g.jumpPos = l.jump(v)
				case "description":
					yamlx.Str(v, "description", l.d)
				}
			})
		} else if v.Kind == yaml.SequenceNode {
			g.members = l.list(v, "group "+p.Key)
		} else {
			l.d.Add(yamlx.PosOf(v), "group %s must be a list of hosts and groups, or a mapping with members, vars and jump; not %s", p.Key, yamlx.KindName(v))
			continue
		}
		l.rawGroups[p.Key] = g
		l.groupOrder = append(l.groupOrder, p.Key)
		l.inv.groupPos[p.Key] = g.pos
	}
}

// hostFold returns the host whose name is s but for letter case, or nil.
func (l *loader) hostFold(s string) *Host {
	for _, n := range l.inv.order {
		if strings.EqualFold(n, s) {
			return l.inv.hosts[n]
		}
	}
	return nil
}

func (l *loader) name(s string, k *yaml.Node, what string) bool {
	if !validName(s) {
		l.d.Add(yamlx.PosOf(k), "%s name %q: use letters, digits, _, . and - (at most 64), starting with a letter, digit or _", what, yamlx.Truncate(s, 40))
		return false
	}
	return true
}

func (l *loader) user(v *yaml.Node) string {
	s, ok := yamlx.Str(v, "user", l.d)
	if ok && !validUser(s) {
		l.d.Add(yamlx.PosOf(v), "user %q is not a valid login name", yamlx.Truncate(s, 40))
	}
	return s
}

// path reads a file path: ~/ is the home directory, a relative path is
// taken from the inventory's directory.
func (l *loader) path(v *yaml.Node, what string) string {
	s, ok := yamlx.Str(v, what, l.d)
	if !ok {
		return ""
	}
	if s == "" || strings.IndexByte(s, 0) >= 0 {
		l.d.Add(yamlx.PosOf(v), "%s is empty", what)
		return ""
	}
	if rest, ok := strings.CutPrefix(s, "~/"); ok {
		home, err := os.UserHomeDir()
		if err != nil {
			l.d.Add(yamlx.PosOf(v), "%s: cannot find the home directory for ~ (%v); write the full path", what, err)
			return ""
		}
		return filepath.Join(home, rest)
	}
	if strings.HasPrefix(s, "~") {
		l.d.Add(yamlx.PosOf(v), "%s: only ~/ (your own home) is understood; write the full path", what)
		return ""
	}
	if !filepath.IsAbs(s) {
		s = filepath.Join(l.dir, s)
	}
	return filepath.Clean(s)
}

// vars reads a vars mapping, each problem reported once (Plain would
// report a duplicate key again).
func (l *loader) vars(v *yaml.Node) map[string]any {
	pairs, ok := yamlx.Pairs(v, "vars", l.d)
	if !ok || yamlx.IsNull(yamlx.Deref(v)) {
		return nil
	}
	m := make(map[string]any, len(pairs))
	for _, p := range pairs {
		m[p.Key] = yamlx.Plain(p.V, l.d)
	}
	return m
}

func (l *loader) jump(v *yaml.Node) (string, yamlx.Pos) {
	s, ok := yamlx.Str(v, "jump", l.d)
	if !ok {
		return "", yamlx.Pos{}
	}
	if s == "" {
		l.d.Add(yamlx.PosOf(v), "jump is empty; name a host, write [user@]address[:port], or none for a direct connection")
	}
	return s, yamlx.PosOf(yamlx.Deref(v))
}

func (l *loader) list(n *yaml.Node, what string) []ref {
	n = yamlx.Deref(n)
	if n.Kind != yaml.SequenceNode {
		l.d.Add(yamlx.PosOf(n), "%s must be a list, not %s", what, yamlx.KindName(n))
		return nil
	}
	var out []ref
	for _, c := range n.Content {
		if s, ok := yamlx.Str(c, "each item of "+what, l.d); ok {
			out = append(out, ref{s, yamlx.PosOf(yamlx.Deref(c))})
		}
	}
	return out
}
