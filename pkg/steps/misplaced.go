package steps

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// stepFanOutKeys are the keys GitHub Actions' strategy and Argo Workflows
// give a fan-out's settings and a cached result, which a step writes with
// other words: a plain did-you-mean finds none of them.
var stepFanOutKeys = map[string]string{
	"max-parallel": "concurrency", "max_parallel": "concurrency", "maxParallel": "concurrency", "parallelism": "concurrency",
	"matrix": "matrix", "strategy": "matrix",
	"memoize": "cache",
}

// stepKeyHint returns the hint for an unknown key of step n, in section
// sec: that of paramOutsideWith, or else the step's own word for a
// fan-out setting of another tool.
func (l *loader) stepKeyHint(n *yaml.Node, sec Section) func(key string) string {
	param := l.paramOutsideWith(n)
	return func(key string) string {
		if param != nil {
			if h := param(key); h != "" {
				return h
			}
		}
		if h := stepRetryHint(n, key); h != "" {
			return h
		}
		if h := stepHandlerHint(key, sec); h != "" {
			return h
		}
		if h := rescueMisspelt(key, sec); h != "" {
			return h
		}
		switch stepFanOutKeys[key] {
		case "concurrency":
			return " (how many items of a step's foreach run at once is concurrency: N; how many steps of the playbook run at once is max_parallel: N at its top)"
		case "matrix":
			return " (a step fans out over a matrix with foreach: {matrix: {os: [linux, darwin]}})"
		case "cache":
			return " (a step keeps its result with cache: {ttl: 10m})"
		}
		return ""
	}
}

// handlerKeys are the playbook's sections of steps run at the end of a
// run, which a step written in the manner of other tools may be given as
// a key of its own.
var handlerKeys = []string{"on_success", "on_failure", "on_cancel", "finally"}

// handlerWords are other tools' words for them: Argo's onExit, Ruby's
// ensure, GitLab's after_script, an on_error of many.
var handlerWords = map[string]string{
	"on_error": "on_failure", "onError": "on_failure", "onFailure": "on_failure", "on_fail": "on_failure", "onfail": "on_failure",
	"onSuccess": "on_success", "onCancel": "on_cancel", "on_cancelled": "on_cancel", "on_canceled": "on_cancel",
	"onExit": "finally", "on_exit": "finally", "always": "finally", "ensure": "finally", "after_script": "finally",
}

// handlerWhen says when each section runs.
var handlerWhen = map[string]string{
	"on_success": "once the steps have succeeded",
	"on_failure": "once the run has failed",
	"on_cancel":  "once the run was cancelled",
	"finally":    "at the end of every run",
}

// stepHandlerHint returns the hint for a key of a step in section sec
// that is, or is like, one of the playbook's sections run at the end
// (handlerKeys), or "": those are written at the top of the playbook
// beside steps:, and a step reacts to its own failure with rescue: (a
// step of steps: only) or continue_on_error.
func stepHandlerHint(key string, sec Section) string {
	x, ok := suggest.Through(key, handlerKeys, handlerWords)
	if !ok {
		return ""
	}
	h := fmt.Sprintf(" (%s is a section of the playbook, not of a step: write it at the top level beside steps:, as a list of steps run %s", x, handlerWhen[x])
	if Section(x) == sec {
		h = fmt.Sprintf(" (%s is a section of the playbook, not of a step, and this step is in it already", x)
	}
	switch {
	case x != "on_failure":
	case sec == SectionSteps:
		h += "; to react to this step's own failure, give the step rescue: [steps to run when it fails] or continue_on_error: true"
	default:
		// rescue: is refused here: a rescue step has none of its own,
		// and the end-of-run sections run once the outcome is decided.
		h += "; to go on past this step's own failure, give it continue_on_error: true; rescue: is for steps of steps: alone"
	}
	return h + ")"
}

// stepRetryHint returns the hint for a key that Ansible gives a task (and
// Argo Workflows a template) to try it again, written beside the step's
// other keys where a step writes it under retry:, or "". Ansible's keys
// come together (until, retries, delay), each refused on its own line:
// every hint gives the same retry:, made of the step's own values.
func stepRetryHint(n *yaml.Node, key string) string {
	switch key {
	case "retries":
		return fmt.Sprintf(" (a step is tried again with %s; attempts counts every try, the first included, so retries: %s is attempts: %s)", ansibleRetry(n), retryCount(n, key, 0), retryCount(n, key, 1))
	case "until":
		return " (a step is tried again until a condition holds with " + ansibleRetry(n) + "; to wait longer than 100 tries, repeat: {until: …, timeout: 30m})"
	case "delay":
		return " (the wait between tries goes under retry, as " + ansibleRetry(n) + ")"
	case "retryStrategy":
		return " (a step is tried again with retry: {attempts: 4, delay: 1s, backoff: 2}; Argo's limit: 3 is attempts: 4, its backoff.duration is delay and backoff.factor is backoff)"
	}
	return ""
}

// ansibleRetry is the retry: of a step written as an Ansible task, from
// its retries (attempts one more; Ansible's default of 3 without it),
// delay (Ansible's seconds, 5 without it) and until.
func ansibleRetry(n *yaml.Node) string {
	attempts, delay, until := "4", "5s", false
	dn := yamlx.Deref(n)
	for i := 0; i+1 < len(dn.Content); i += 2 {
		v := yamlx.Deref(dn.Content[i+1])
		switch dn.Content[i].Value {
		case "retries":
			attempts = retryCount(n, "retries", 1)
		case "delay":
			if v.Kind != yaml.ScalarNode || v.Value == "" {
				continue
			}
			delay = yamlx.Truncate(v.Value, 20)
			if v.ShortTag() == "!!int" {
				delay += "s"
			}
		case "until":
			until = true
		}
	}
	s := "retry: {attempts: " + attempts + ", delay: " + delay
	if until {
		s += ", until: …"
	}
	return s + "}"
}

// paramOutsideWith returns the hint for an unknown key of step n that is
// a parameter of the step's operation: written beside with: instead of
// under it, as a line indented too little puts it. Without a known op,
// or for other keys, the hint is empty.
func (l *loader) paramOutsideWith(n *yaml.Node) func(key string) string {
	dn := yamlx.Deref(n)
	if dn.Kind != yaml.MappingNode {
		return nil
	}
	var op string
	for i := 0; i+1 < len(dn.Content); i += 2 {
		if dn.Content[i].Value == "op" {
			if v := yamlx.Deref(dn.Content[i+1]); v.Kind == yaml.ScalarNode {
				op = v.Value
			}
		}
	}
	e, err := l.reg.Get(op)
	if op == "" || err != nil {
		return nil
	}
	return func(key string) string {
		for _, p := range e.Spec.Params {
			if p.Name == key {
				return fmt.Sprintf(" (%s is a parameter of %s: indent it under with:, two spaces further than with)", key, op)
			}
		}
		return ""
	}
}

// anchorHolder returns the hint for an unknown top-level key whose value
// is anchored (`x-common: &common {...}`, as Compose files keep values for
// aliases below): a playbook has no such key, so say where an anchor goes.
func anchorHolder(root *yaml.Node) func(key string) string {
	if root.Kind != yaml.MappingNode {
		return nil
	}
	return func(key string) string {
		for i := 0; i+1 < len(root.Content); i += 2 {
			if k, v := root.Content[i], root.Content[i+1]; k.Value == key && v.Anchor != "" {
				return fmt.Sprintf(" (a playbook has no key for values kept only for their anchor: put &%s on the first place that uses the value, such as a step's with:, and alias it below)", v.Anchor)
			}
		}
		return ""
	}
}

// listForMap reports, after saying what to write, whether n (inputs: or
// vars:) is a list, as GitHub Actions' and Ansible's lists of `- name:`
// items are written, where a playbook takes a mapping by name.
func (l *loader) listForMap(n *yaml.Node, what string) bool {
	dn := yamlx.Deref(n)
	if dn.Kind != yaml.SequenceNode {
		return false
	}
	name, example := "NAME", map[string]string{"inputs": "{type: string}", "vars": "VALUE"}[what]
	if len(dn.Content) > 0 {
		if item := yamlx.Deref(dn.Content[0]); item.Kind == yaml.ScalarNode && what == "inputs" && item.Value != "" {
			name = item.Value
		} else if item.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(item.Content); i += 2 {
				if item.Content[i].Value == "name" && item.Content[i+1].Kind == yaml.ScalarNode {
					name = item.Content[i+1].Value
				}
			}
		}
	}
	drop := "its leading `- `"
	if name != "NAME" && yamlx.Deref(dn.Content[0]).Kind == yaml.MappingNode {
		drop = "its `- name:`"
	}
	l.d.Add(yamlx.PosOf(dn), "%s must be a mapping keyed by name, not a list: write each item as `%s: %s` under %s:, without %s", what, name, example, what, drop)
	return true
}

// stepKeyUnderWith returns pe, the refusal of a param of step s, saying
// so when the unknown param is a key of the step itself (timeout, retry,
// when) that a line indented too far put under with:. A did-you-mean the
// refusal already has, to a param of the op, stays as it is.
func stepKeyUnderWith(s *Step, pe *ops.ParamError) *ops.ParamError {
	rest, ok := strings.CutPrefix(pe.Msg, "unknown parameter; ")
	if !ok || !slices.Contains(stepKeys, pe.Param) || s.Entry.Spec.Param(pe.Param) != nil {
		return pe
	}
	msg := fmt.Sprintf("unknown parameter (%s is a key of the step, not a parameter of %s: write it beside op:, two spaces less than the parameters); %s", pe.Param, s.Op, rest)
	return &ops.ParamError{Param: pe.Param, Msg: msg}
}
