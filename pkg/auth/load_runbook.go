package auth

import (
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// grantRunbooks checks each grant of the file against its runbook.
func (l *policyLoader) grantRunbooks() {
	for _, site := range l.grantSites {
		// A grant repeated through an alias (- *deploy) is named by it.
		restore := l.d.Within(site.node, func() string { return "a playbook grant of role " + site.role })
		l.grantRunbook(site.grant, site)
		restore()
	}
}

// grantRunbook checks a grant against the runbook it names, as the
// policy loads: a path with no file behind it grants nothing, and an
// input the runbook does not declare constrains nothing while the input
// meant stays locked. Both would be learnt only from an on-call's refused
// run. A grant pinned to the file's sha256 is about that very file, so
// its problems are errors; an unpinned one's are warnings, as the runbook
// may change under it (an input added with the policy that names it). A
// missing file is a warning either way: the runbook may be deployed after
// the policy, and the grant lets nobody do anything meanwhile.
func (l *policyLoader) grantRunbook(g Grant, at grantSite) {
	abs := g.Path
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(l.p.Dir, abs)
	}
	inputs, sum, err := steps.ReadInputs(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		rel := ""
		if !filepath.IsAbs(g.Path) {
			rel = " (the path is relative to the policy file's directory)"
		}
		l.d.Warn(at.pos, "playbook %q is granted, but there is no such file%s, so the grant lets nobody run anything%s; correct the path, or remove the grant",
			g.Path, rel, steps.NearbyPlaybook(l.p.Dir, g.Path))
		return
	case err != nil:
		return // unreadable here, or reported in full when the runbook loads
	}
	report := l.d.Warn
	switch {
	case g.SHA256 == "":
	case g.SHA256 != sum:
		l.d.Warn(at.sha, "the grant of %q is pinned to a sha256 the file no longer has: the runbook was edited, and the grant does not apply until the policy is updated; review the runbook, then set sha256 to %s (sha256sum %s)",
			g.Path, sum, g.Path)
		return // its inputs are another file's
	default:
		report = l.d.Add
	}
	declared := make([]string, len(inputs))
	for i, in := range inputs {
		declared[i] = in.Name
	}
	names := make([]string, 0, len(g.Inputs))
	for name := range g.Inputs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !slices.Contains(declared, name) {
			list := "it declares none"
			if len(declared) > 0 {
				list = "it declares " + strings.Join(declared, ", ")
			}
			report(g.InputsAt[name], "inputs.%s: playbook %q declares no input %s%s, so this rule constrains nothing, and the input meant keeps its default; rename it to an input the runbook declares (%s), or remove it",
				name, g.Path, name, suggest.DidYouMean(name, declared), list)
		}
	}
}
