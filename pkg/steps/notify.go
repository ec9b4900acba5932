package steps

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

var notifyKeys = []string{"id", "on", "webhook", "email"}

var notifyOutcomes = []string{NotifySuccess, NotifyFailure, NotifyCancelled}

// The operations a notify: entry calls, by the key that holds its
// parameters.
const (
	NotifyWebhookOp = "notify.webhook"
	NotifyEmailOp   = "notify.email"
)

// notifyDefaults are the parameters a notify: entry gets when it does not
// set them and its operation takes them: a summary of the run, as
// expressions over run. They read only run, so they always compile.
var notifyDefaults = map[string][]struct{ param, expr string }{
	NotifyWebhookOp: {
		{"title", `run.playbook + " " + run.status`},
		{"text", `"Run " + run.id + " of " + run.playbook + " " + run.status + (len(run.failed_steps) > 0 ? "; failed steps: " + join(run.failed_steps, ", ") : "") + "."`},
		{"fields", `len(run.failed_steps) > 0 ? {"status": run.status, "run": run.id, "failed steps": join(run.failed_steps, ", ")} : {"status": run.status, "run": run.id}`},
		{"link", `run.url`},
	},
	NotifyEmailOp: {
		{"subject", `"[arsenal-run] " + run.playbook + " " + run.status`},
		{"body", `"Run " + run.id + " of " + run.playbook + " " + run.status + ".\n" + (len(run.failed_steps) > 0 ? "Failed steps: " + join(run.failed_steps, ", ") + "\n" : "") + (run.url != "" ? "\n" + run.url + "\n" : "")`},
	},
}

// decodeNotify reads notify:, a list of entries that each send a message
// through notify.webhook or notify.email when the run ends in one of the
// entry's outcomes. Each entry becomes a step of section notify, so it is
// authorized, run, evented and reported like any step.
func (l *loader) decodeNotify(n *yaml.Node) {
	n = yamlx.Deref(n)
	if yamlx.IsNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		l.d.Add(yamlx.PosOf(n), "notify must be a list of entries, like - {on: [failure], webhook: {url: ..., format: slack}}, not %s", yamlx.KindName(n))
		return
	}
	if len(n.Content) > MaxNotify {
		l.d.Add(yamlx.PosOf(n), "notify has %d entries, over the limit of %d; send to fewer places, or to one that passes the message on (a chat channel, a mailing list)", len(n.Content), MaxNotify)
		return
	}
	for i, c := range n.Content {
		if s := l.decodeNotifyEntry(c, i+1); s != nil {
			l.pb.Notify = append(l.pb.Notify, s)
		}
	}
}

// notifyFormatHint answers a notify entry keyed by a chat service (slack:,
// teams:) rather than by how it sends: such messages go through webhook,
// with the service as its format.
func notifyFormatHint(key string) string {
	format := ""
	switch strings.ToLower(key) {
	case "slack":
		format = "slack"
	case "teams", "msteams", "ms_teams", "microsoft_teams":
		format = "teams"
	default:
		return ""
	}
	return fmt.Sprintf(": a %s message is sent by a webhook: write webhook: {url: ..., format: %s}", format, format)
}

func (l *loader) decodeNotifyEntry(n *yaml.Node, number int) *Step {
	pos := yamlx.PosOf(yamlx.Deref(n))
	s := &Step{Pos: pos, Section: SectionNotify, Concurrency: 1, FailFast: true, Retry: Retry{Attempts: 1, Backoff: 1},
		Needs: []string{}, NotifyOn: []string{NotifyFailure, NotifyCancelled}}
	defer l.d.Within(n, s.describe)()
	s.owners = l.d.Owners()
	var idNode, paramsNode, opKey *yaml.Node
	ok := yamlx.FieldsHint(n, "a notify entry", notifyKeys, notifyFormatHint, l.d, func(key string, k, v *yaml.Node) {
		switch key {
		case "id":
			idNode = v
		case "on":
			s.NotifyOn = l.notifyOn(v)
		case "webhook", "email":
			if paramsNode != nil {
				l.d.Add(yamlx.PosOf(k), "a notify entry sends one message: it has both %s and %s; split it into two entries", opKey.Value, key)
				return
			}
			paramsNode, opKey = v, k
			s.Op = NotifyWebhookOp
			if key == "email" {
				s.Op = NotifyEmailOp
			}
		}
	})
	if !ok {
		return nil
	}
	s.ID = fmt.Sprintf("notify_%d", number)
	if idNode != nil {
		id, ok := yamlx.Str(idNode, "id", l.d)
		if !ok {
			return nil
		}
		if !idRE.MatchString(id) || len(id) > MaxIDLen {
			l.d.Add(yamlx.PosOf(idNode), "notify id %q: use lower-case letters, digits and _ (at most %d)", yamlx.Truncate(id, 80), MaxIDLen)
			return nil
		}
		s.ID = id
	}
	if prev := l.ids[s.ID]; prev != nil {
		at := pos
		if idNode != nil {
			at = yamlx.PosOf(idNode)
		}
		l.d.Add(at, "step id %q is already used at line %d, column %d (in %s); %s: give this notify entry another id", s.ID, prev.Pos.Line, prev.Pos.Col, prev.Section, idsUnique)
		return nil
	}
	l.ids[s.ID] = s
	if paramsNode == nil {
		l.d.Add(pos, "a notify entry needs webhook: {url: ..., format: slack|teams|json} or email: {host: ..., from: ..., to: [...]}")
		return nil
	}
	e, err := l.reg.Get(s.Op)
	if err != nil {
		l.d.Add(yamlx.PosOf(opKey), "notify %s needs the operation %s, which this build does not have: %v", opKey.Value, s.Op, err)
		return nil
	}
	s.Entry = e
	l.decodeWith(l.withDefaults(paramsNode, s), s)
	l.compileSummary(s)
	return s
}

// compileSummary compiles the run summary of s's message parameters, the
// ones an entry's own stand in for when they cannot be computed.
func (l *loader) compileSummary(s *Step) {
	sc := l.stepScope(s)
	for _, def := range notifyDefaults[s.Op] {
		if s.Entry.Spec.Param(def.param) == nil {
			continue
		}
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "${{ " + def.expr + " }}", Line: s.Pos.Line, Column: s.Pos.Col}
		if s.NotifySummary == nil {
			s.NotifySummary = map[string]*Value{}
		}
		s.NotifySummary[def.param] = l.value(n, sc, s, -1, true)
	}
}

// notifyOn reads the outcomes of a notify entry.
func (l *loader) notifyOn(n *yaml.Node) []string {
	n = yamlx.Deref(n)
	var items []*yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		items = []*yaml.Node{n}
	case yaml.SequenceNode:
		items = n.Content
	default:
		l.d.Add(yamlx.PosOf(n), "on must be a list of outcomes among %s, not %s", strings.Join(notifyOutcomes, ", "), yamlx.KindName(n))
		return nil
	}
	if len(items) == 0 {
		l.d.Add(yamlx.PosOf(n), "on is empty, so the entry would never send; list outcomes among %s", strings.Join(notifyOutcomes, ", "))
		return nil
	}
	var out []string
	for _, c := range items {
		o, ok := yamlx.Str(c, "each outcome in on", l.d)
		if !ok {
			continue
		}
		if !yamlx.Contains(notifyOutcomes, o) {
			l.d.Add(yamlx.PosOf(yamlx.Deref(c)), "unknown outcome %q%s; on takes %s", o, suggest.DidYouMean(o, notifyOutcomes), strings.Join(notifyOutcomes, ", "))
			continue
		}
		if yamlx.Contains(out, o) {
			l.d.Add(yamlx.PosOf(yamlx.Deref(c)), "%s is listed twice in on", o)
			continue
		}
		out = append(out, o)
	}
	return out
}

// withDefaults returns the entry's parameters with the run summary added
// for the parameters it leaves out, when the operation takes them.
func (l *loader) withDefaults(n *yaml.Node, s *Step) *yaml.Node {
	d := yamlx.Deref(n)
	if d.Kind != yaml.MappingNode {
		return n // decodeWith says what is wrong
	}
	pairs, _ := yamlx.Pairs(d, "", &yamlx.Diags{})
	given := map[string]bool{}
	for _, p := range pairs {
		given[p.Key] = true
	}
	out := *d
	out.Content = append([]*yaml.Node(nil), d.Content...)
	for _, def := range notifyDefaults[s.Op] {
		if given[def.param] || s.Entry.Spec.Param(def.param) == nil {
			continue
		}
		k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: def.param, Line: d.Line, Column: d.Column}
		v := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "${{ " + def.expr + " }}", Line: d.Line, Column: d.Column}
		out.Content = append(out.Content, k, v)
	}
	return &out
}
