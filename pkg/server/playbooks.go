package server

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/scheduler"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// MaxPlaybooks bounds the playbooks of a --playbooks directory.
const MaxPlaybooks = 1000

// Playbooks are the playbooks a server may run, by name: the *.yaml and
// *.yml files of one directory (steps.DirPlaybooks), all validated. It is immutable and safe
// for concurrent use.
type Playbooks struct {
	Dir    string
	byName map[string]*steps.Playbook
	names  []string
}

// LoadPlaybooks loads every playbook in dir. Nothing is returned unless
// every file validates and the names are unique; the error holds every
// problem of every file, each with file:line:col.
func LoadPlaybooks(dir string, reg *ops.Registry) (*Playbooks, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("--playbooks %s: not a directory", dir)
	}
	// Its playbooks run with the roles of the callers and of the
	// schedule: one that another user could add or swap would run what
	// that user likes with them.
	if msg := steps.SwappableDir(dir); msg != "" {
		return nil, fmt.Errorf("--playbooks %s: %s", dir, msg)
	}
	// arsenal-run's other files there (an inventory, the policy, the keys
	// file) are left out, as validate and schedule leave them out.
	// The bound is checked as the files are listed, not after every one
	// of a huge directory was read.
	files, _, err := steps.DirPlaybooksMax(dir, MaxPlaybooks)
	if err != nil {
		return nil, fmt.Errorf("--playbooks %s: %v", dir, err)
	}
	set := &Playbooks{Dir: dir, byName: map[string]*steps.Playbook{}}
	var errs []error
	first := map[string]*steps.Playbook{}
	for _, f := range files {
		if msg := steps.Swappable(f); msg != "" {
			// The file's mode, not a line of it: no position.
			errs = append(errs, yamlx.Diagnostics{{File: f, Msg: msg}})
			continue
		}
		pb, err := steps.Load(f, reg, steps.WithSwapCheck())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if other, dup := first[pb.Name]; dup {
			errs = append(errs, yamlx.Diagnostics{{File: f, Pos: yamlx.Pos{Line: max(pb.NamePos.Line, 1), Col: max(pb.NamePos.Col, 1)},
				Msg: fmt.Sprintf("playbook name %q is also the name of %s; the API finds playbooks by name, so rename one", pb.Name, other.NameLocation())}})
			continue
		}
		first[pb.Name] = pb
		set.byName[pb.Name] = pb
		set.names = append(set.names, pb.Name)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.Strings(set.names)
	return set, nil
}

// Get returns the playbook called name.
func (p *Playbooks) Get(name string) (*steps.Playbook, bool) {
	if p == nil {
		return nil, false
	}
	pb, ok := p.byName[name]
	return pb, ok
}

// notFound is the error for a playbook name not in the set, with the name
// it likely meant (any caller may list the names); scheduled looks among
// the playbooks that have a schedule only.
func (p *Playbooks) notFound(name string, scheduled bool) *apiError {
	what, names := "playbook", []string(nil)
	if p != nil {
		names = p.names
	}
	if scheduled {
		what, names = "scheduled playbook", nil
		for _, pb := range p.Scheduled() {
			names = append(names, pb.Name)
		}
		if _, ok := p.Get(name); ok {
			// Served, but with no schedule: not a name mistyped.
			known := "none of the server's playbooks has one"
			if len(names) > 0 {
				known = "the scheduled playbooks are " + strings.Join(names, ", ")
			}
			return notFound("playbook %q has no schedule to pause or resume (a playbook has one with schedule:, docs/scheduling.md); %s", name, known)
		}
	}
	if did := suggest.DidYouMean(name, names); did != "" || len(names) > 10 {
		return notFound("no %s %q in the server's playbooks%s", what, name, did)
	}
	if len(names) == 0 {
		return notFound("no %s %q in the server's playbooks: it serves no %s", what, name, what)
	}
	// No name it may be a typo of: the few there are, to pick from.
	return notFound("no %s %q in the server's playbooks; the %ss are %s", what, name, what, strings.Join(names, ", "))
}

// runsHint is what an empty run listing of playbook name says: that no
// served playbook has that name, and the one it may be a typo of (names
// are matched as written: Nightly is not nightly); "" when one does.
func (p *Playbooks) runsHint(name string) string {
	if name == "" {
		return ""
	}
	var names []string
	if p != nil {
		if _, ok := p.byName[name]; ok {
			return ""
		}
		names = p.names
	}
	if strings.ContainsRune(name, '/') || strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
		return fmt.Sprintf("playbook=%q: give the name a playbook declares, not its file", name)
	}
	if did := suggest.DidYouMean(name, names); did != "" {
		return fmt.Sprintf("no playbook %q is served%s", name, did)
	}
	if len(names) == 0 {
		return fmt.Sprintf("no playbook %q is served: this server serves none", name)
	}
	return fmt.Sprintf("no playbook %q is served; the served playbooks are %s", name, strings.Join(names[:min(len(names), 10)], ", "))
}

// All returns the playbooks sorted by name.
func (p *Playbooks) All() []*steps.Playbook {
	if p == nil {
		return nil
	}
	out := make([]*steps.Playbook, len(p.names))
	for i, n := range p.names {
		out[i] = p.byName[n]
	}
	return out
}

// Scheduled returns the playbooks that have a schedule: block.
func (p *Playbooks) Scheduled() []*steps.Playbook {
	var out []*steps.Playbook
	for _, pb := range p.All() {
		if pb.Schedule != nil {
			out = append(out, pb)
		}
	}
	return out
}

// playbookInfo is how the API describes a playbook.
type playbookInfo struct {
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Inputs      []inputInfo   `json:"inputs"`
	Schedule    *scheduleInfo `json:"schedule"`
	NextRun     *time.Time    `json:"next_run"`
	// FileChanged says that the playbook's file changed, or is gone,
	// since the server loaded it: its runs run the text loaded then
	// until SIGHUP (runs.Service.FileWarning).
	FileChanged string `json:"file_changed,omitempty"`
}

type inputInfo struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Required    bool     `json:"required"`
	Secret      bool     `json:"secret,omitempty"`
	Default     any      `json:"default,omitempty"`
	Enum        []any    `json:"enum,omitempty"`
	Min         *float64 `json:"min,omitempty"`
	Max         *float64 `json:"max,omitempty"`
	Pattern     string   `json:"pattern,omitempty"`
	Description string   `json:"description,omitempty"`
}

type scheduleInfo struct {
	Cron     string `json:"cron"`
	Timezone string `json:"timezone"`
	Overlap  string `json:"overlap,omitempty"`
	Jitter   string `json:"jitter,omitempty"`
}

func (s *Server) describePlaybook(pb *steps.Playbook, now time.Time) playbookInfo {
	info := playbookInfo{Name: pb.Name, Description: pb.Description, Inputs: []inputInfo{}}
	if s.mgr != nil {
		info.FileChanged = s.mgr.Service().FileNotice(pb)
	}
	for _, in := range pb.Inputs {
		ii := inputInfo{Name: in.Name, Type: string(in.Type), Required: in.Required && in.Default == nil,
			Secret: in.Secret, Enum: in.Enum, Min: in.Min, Max: in.Max, Pattern: in.Pattern, Description: in.Description}
		if !in.Secret {
			ii.Default = in.Default
		}
		info.Inputs = append(info.Inputs, ii)
	}
	if s := pb.Schedule; s != nil {
		tz := s.Timezone
		if tz == "" {
			tz = "UTC"
		}
		info.Schedule = &scheduleInfo{Cron: s.Cron, Timezone: tz, Overlap: s.Overlap}
		if s.Jitter > 0 {
			info.Schedule.Jitter = short.Duration(s.Jitter)
		}
		if tt, err := scheduler.ForSchedule(s); err == nil {
			if t := tt.Next(now); !t.IsZero() {
				t = t.UTC()
				info.NextRun = &t
			}
		}
	}
	return info
}
