package steps

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// Serial is a foreach step's rolling batches, as Ansible's serial: the
// items run a batch at a time, and a batch starts only once the one before
// it has finished and did not stop the step. With fail_fast (the default)
// a failed item stops its batch and every later one; with
// max_fail_percentage, the batches go on until one has more than that
// share of failed or denied items.
type Serial struct {
	// Size is the number of items per batch; 0 when Percent is set.
	Size int
	// Percent is the batch size as a share of the items, 1 to 100, rounded
	// down and at least one item.
	Percent int
	// MaxFailPercent is max_fail_percentage, 0 to 100; -1 when not set.
	MaxFailPercent int
	// Parallel is set when the step gives no concurrency: then all the
	// items of a batch run at once, up to MaxConcurrency.
	Parallel bool
}

// BatchSize returns the batch size for a list of n items.
func (s *Serial) BatchSize(n int) int {
	size := s.Size
	if s.Percent > 0 {
		size = n * s.Percent / 100
	}
	return max(size, 1)
}

// String gives serial: as written.
func (s *Serial) String() string {
	if s.Percent > 0 {
		return strconv.Itoa(s.Percent) + "%"
	}
	return strconv.Itoa(s.Size)
}

// decodeSerial reads serial: and max_fail_percentage: of step s (node n).
func (l *loader) decodeSerial(s *Step, n, serial, maxFail *yaml.Node) {
	if serial == nil && maxFail == nil {
		return
	}
	first := serial
	if first == nil {
		first = maxFail
	}
	switch {
	case !s.fanout:
		l.d.Add(yamlx.PosOf(yamlx.Deref(first)), "serial and max_fail_percentage apply to a foreach step; add foreach or remove them")
		return
	case serial == nil:
		l.d.Add(yamlx.PosOf(yamlx.Deref(maxFail)), "max_fail_percentage applies to the batches of serial:; add serial: N or serial: \"N%%\"")
		return
	}
	sr := &Serial{MaxFailPercent: -1, Parallel: !l.hasKey(n, "concurrency")}
	v := yamlx.Deref(serial)
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" {
		p, err := strconv.Atoi(strings.TrimSuffix(v.Value, "%"))
		if strings.Contains(v.Value, "${{") {
			// The batches are planned before any item runs, from the
			// playbook as written.
			l.d.Add(yamlx.PosOf(v), "serial is read when the playbook loads and cannot be computed with ${{ }}; write the items per batch (serial: 2) or a share of them (serial: 25%%)")
			return
		}
		if !strings.HasSuffix(v.Value, "%") || err != nil || p < 1 || p > 100 {
			l.d.Add(yamlx.PosOf(v), "serial %q: write the items per batch (serial: 2) or a share of them, \"N%%\" with N from 1 to 100 (serial: 25%%)", yamlx.Truncate(v.Value, 20))
			return
		}
		sr.Percent = p
	} else if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" {
		l.d.Add(yamlx.PosOf(v), "%s", serialKindMsg(v))
		return
	} else {
		size, ok := yamlx.Int(v, "serial", 1, MaxForeachItems, l.d)
		if !ok {
			return
		}
		sr.Size = size
	}
	if maxFail != nil {
		p, ok := l.literalInt(maxFail, "max_fail_percentage", 0, 100, "a percentage from 0 to 100 (max_fail_percentage: 25)")
		if !ok {
			return
		}
		sr.MaxFailPercent = p
		// fail_fast stops a batch at its first failure, which would leave
		// nothing for max_fail_percentage to count.
		if l.hasKey(n, "fail_fast") && s.FailFast {
			l.d.Add(yamlx.PosOf(yamlx.Deref(maxFail)), "max_fail_percentage lets some items of a batch fail, and fail_fast: true stops a batch at its first failure; remove one of them")
			return
		}
		s.FailFast = false
	}
	s.Serial = sr
}

// serialKindMsg says what to write for a serial: that is neither a number
// nor text. Ansible's list of batch sizes, serial: [1, 5, "20%"], is the
// likely one: a step per stage, over its slice of the items, does that.
func serialKindMsg(v *yaml.Node) string {
	if v.Kind == yaml.SequenceNode {
		return "serial takes one batch size, not a list (Ansible's serial: [1, 5, \"20%\"]); for batches that grow, write a step per stage over its slice of the items, " +
			"each needing the one before: foreach: inventory.hosts(\"web\")[:1] with serial: 1, then inventory.hosts(\"web\")[1:] with serial: 5"
	}
	return fmt.Sprintf("serial must be the items per batch (serial: 2) or a share of them, \"N%%\" with N from 1 to 100 (serial: 25%%), not %s", yamlx.KindName(v))
}
