package steps

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

var concurrencyKeys = []string{"group", "policy"}

var concurrencyPolicies = []string{ConcurrencyQueue, ConcurrencySkip, ConcurrencyCancelRunning}

// decodeConcurrency reads the top-level concurrency: a mapping with group
// and policy, or a string that is the group (policy queue).
func (l *loader) decodeConcurrency(n *yaml.Node) {
	n = yamlx.Deref(n)
	c := &Concurrency{Pos: yamlx.PosOf(n), Policy: ConcurrencyQueue}
	if yamlx.IsNull(n) {
		// Read as {} it would put every run in the playbook's group.
		l.d.Add(yamlx.PosOf(n), "concurrency is empty; give a group, like `concurrency: deploy` or `{group: ..., policy: ...}`, or leave it out")
		return
	}
	if n.Kind == yaml.ScalarNode {
		if n.ShortTag() != "!!str" {
			// concurrency: 4 reads as the steps' own concurrency (items
			// at once); quoting it would make a group named "4".
			hint := ""
			if n.ShortTag() == "!!int" {
				hint = "; to cap how many steps run at once, write max_parallel: " + n.Value
			}
			l.d.Add(yamlx.PosOf(n), "concurrency at the top of a playbook is a group name (concurrency: deploy) or {group: ..., policy: ...}, not %s%s", yamlx.KindName(n), hint)
			return
		}
		c.Group = l.groupValue(n)
		l.pb.Concurrency = c
		return
	}
	ok := yamlx.Fields(n, "concurrency", concurrencyKeys, l.d, func(key string, k, v *yaml.Node) {
		switch key {
		case "group":
			if _, ok := yamlx.Str(v, "concurrency.group", l.d); ok {
				c.Group = l.groupValue(v)
			}
		case "policy":
			if s, ok := yamlx.Str(v, "concurrency.policy", l.d); ok {
				if !yamlx.Contains(concurrencyPolicies, s) {
					l.d.Add(yamlx.PosOf(v), "unknown concurrency.policy %q; use queue (wait for the running run), skip (do not start) or cancel_running (cancel it, then start)", s)
					return
				}
				c.Policy = s
			}
		}
	})
	if ok && !yamlx.IsNull(n) {
		l.pb.Concurrency = c
	}
}

func (l *loader) groupValue(n *yaml.Node) *Value {
	n = yamlx.Deref(n)
	if strings.TrimSpace(n.Value) == "" {
		l.d.Add(yamlx.PosOf(n), "concurrency.group is empty; name the group, like ${{ inputs.service }}, or leave it out to use the playbook's name")
		return nil
	}
	return l.value(n, scopeVars|scopeGroup, nil, -1, false)
}

// checkSecretGroup refuses a concurrency group that reads a secret input,
// directly or as the environment variable that supplies it: a group's
// name is no secret, but what runs wait for, shown in clear in the
// messages of the runs that wait, in the history and through the API.
func (l *loader) checkSecretGroup(pe *pendingExpr, kind, name string, pos Pos) {
	if pe.scope&scopeGroup == 0 {
		return
	}
	for _, in := range l.pb.Inputs {
		if !in.Secret {
			continue
		}
		what := ""
		switch {
		case kind == "inputs" && in.Name == name:
			what = "inputs." + name + ", a secret input"
		case kind == "env" && in.Env != "" && in.Env == name:
			what = fmt.Sprintf("env.%s, the variable that supplies secret input %s", name, in.Name)
		default:
			continue
		}
		l.d.Add(pos, "concurrency.group reads %s, but a group's name is shown in clear: in the message of a run that waits for it, in the history and through the API; name the group by what the runs must not overlap on (an input that is not secret, such as the service or the environment), or leave group out to use the playbook's name", what)
		return
	}
}
