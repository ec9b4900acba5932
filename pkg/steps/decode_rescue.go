package steps

import (
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// stepKeysNoRescue are the keys offered to a step outside steps: (of a
// handler, or of a rescue list), which cannot have rescue steps.
var stepKeysNoRescue = slices.DeleteFunc(slices.Clone(stepKeys), func(k string) bool { return k == "rescue" })

// decodeRescue reads the rescue steps of s: they run, as a list of their
// own, when s fails. Only steps of steps: have them, and a rescue step has
// none of its own.
func (l *loader) decodeRescue(k, n *yaml.Node, s *Step) {
	switch {
	case s.Section == SectionRescue:
		l.d.Add(yamlx.PosOf(k), "a rescue step cannot have rescue steps of its own; put what it needs in the same rescue list")
		return
	case s.Section != SectionSteps:
		l.d.Add(yamlx.PosOf(k), "rescue applies to steps of steps:; %s steps run after the run's outcome is decided", s.Section)
		return
	}
	d := yamlx.Deref(n)
	if (d.Kind == yaml.SequenceNode && len(d.Content) == 0) || yamlx.IsNull(d) {
		l.d.Add(yamlx.PosOf(d), "rescue is empty; list the steps to run when %s fails, or remove it", s.ID)
		return
	}
	s.Rescue = l.decodeSteps(n, SectionRescue, false)
	for _, r := range s.Rescue {
		r.RescueOf = s
	}
}

// rescueMisspelt says, of key written in a step outside steps: as a
// near miss of rescue, that no rescue applies there; "" for other keys
// and for steps of steps:, which are offered rescue.
func rescueMisspelt(key string, sec Section) string {
	if sec == SectionSteps || key == "rescue" || suggest.DidYouMean(key, []string{"rescue"}) == "" {
		return ""
	}
	if sec == SectionRescue {
		return " (a rescue step cannot have rescue steps of its own; to go on when it fails, give it continue_on_error: true)"
	}
	return fmt.Sprintf(" (rescue applies to steps of steps: only, and %s steps run after the run's outcome is decided; to go on when it fails, give it continue_on_error: true)", sec)
}
