package auth

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
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
		if in := inputNamed(inputs, name); in != nil {
			for _, why := range ruleMisfits(in, g.Inputs[name]) {
				report(g.InputsAt[name], "inputs.%s: %s", name, why)
			}
			continue
		}
		if !slices.Contains(declared, name) {
			list := "it declares none"
			if len(declared) > 0 {
				list = "it declares " + strings.Join(declared, ", ")
			}
			report(g.InputsAt[name], "inputs.%s: playbook %q declares no input %s%s, so this rule constrains nothing, and the input meant keeps its default; rename it to an input the runbook declares (%s), or remove it",
				name, g.Path, name, suggest.DidYouMean(name, declared), list)
		}
	}
	l.warnAimedSecrets(g, at, abs, inputs)
}

// ruleMisfits says why a grant's rule c for the runbook's input in lets
// through no value, or values the input refuses: the rule's kind does not
// apply to the input's type, an allowed value is not of its type or is
// refused by the runbook's own constraint, or no value meets both. A
// caller's value must meet both (the runbook's when it is resolved, the
// grant's when it is checked). A secret input's values are not quoted.
func ruleMisfits(in *steps.Input, c *steps.Constraint) []string {
	var out []string
	number := in.Type == steps.InputNumber || in.Type == steps.InputInteger
	str := in.Type == steps.InputString || in.Type == steps.InputDuration
	if (c.Min != nil || c.Max != nil) && !number {
		out = append(out, fmt.Sprintf("min and max apply to a number, but the runbook's input %s is a %s: give allowed values instead", in.Name, in.Type))
	}
	if c.Pattern != "" && !str {
		out = append(out, fmt.Sprintf("pattern applies to a string, but the runbook's input %s is a %s: give allowed values instead", in.Name, in.Type))
	}
	for _, v := range c.Enum {
		if _, err := in.Coerce(v); err != nil {
			if in.Secret {
				out = append(out, fmt.Sprintf("an allowed value does not fit the runbook's secret input %s (not shown): %s", in.Name, in.SecretMismatch()))
				continue
			}
			out = append(out, fmt.Sprintf("allowed value %s does not fit the runbook's input %s: %v; remove it, or correct it", show(v), in.Name, err))
		}
	}
	if len(out) > 0 {
		return out
	}
	lo, hi := bound(c.Min, in.Min, math.Max), bound(c.Max, in.Max, math.Min)
	if lo != nil && hi != nil && *lo > *hi && (c.Min != nil || c.Max != nil) {
		out = append(out, fmt.Sprintf("the grant's bounds (%s) and the runbook's (%s) leave no number for input %s: a value must meet both; change the grant's min or max", c, &steps.Constraint{Min: in.Min, Max: in.Max}, in.Name))
	}
	if len(in.Enum) > 0 && len(c.Enum) == 0 && !in.Secret && !slices.ContainsFunc(in.Enum, func(v any) bool { return c.Check(v) == nil }) {
		out = append(out, fmt.Sprintf("the grant's rule (%s) allows none of the values the runbook's input %s may take (%s): a value must meet both; change the rule, or list allowed values instead", c, in.Name, show(in.Enum)))
	}
	return out
}

// bound is the tighter of two optional bounds, by pick (math.Max for
// lower bounds, math.Min for upper ones).
func bound(a, b *float64, pick func(x, y float64) float64) *float64 {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	v := pick(*a, *b)
	return &v
}

func inputNamed(inputs []*steps.Input, name string) *steps.Input {
	for _, in := range inputs {
		if in.Name == name {
			return in
		}
	}
	return nil
}
