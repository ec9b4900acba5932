package steps

import (
	"strings"
	"testing"
)

// TestHandlerStepKeysOfferNoRescue: an unknown key in a step of a handler
// (on_failure, finally...) or of a rescue list listed rescue among the
// allowed keys, which such a step cannot have, and a misspelt rescue was
// told `did you mean "rescue"?`. Neither offers it now; a misspelt rescue
// is told why and what to write instead. A step of steps: still is.
func TestHandlerStepKeysOfferNoRescue(t *testing.T) {
	const keys = "allowed keys: id, name, op, with, when, foreach, concurrency, fail_fast, confirm, retry, repeat, timeout, needs, continue_on_error, env, cache, serial, max_fail_percentage"
	_, err := Parse("pb.yaml", []byte(`version: 1
name: t
steps:
  - id: a
    op: control.noop
    rescue:
      - {id: r, op: control.noop, rescu: []}
  - {id: b, op: control.noop, bogus: 1}
on_failure:
  - {id: c, op: control.noop, rescu: []}
finally:
  - {id: d, op: control.noop, bogus: 1}
`), fixtureRegistry(t))
	if err == nil {
		t.Fatal("no error")
	}
	got := strings.Split(err.Error(), "\n")
	want := []string{
		`pb.yaml:7:35: unknown key "rescu" in a step (a rescue step cannot have rescue steps of its own; to go on when it fails, give it continue_on_error: true); ` + keys,
		`pb.yaml:8:31: unknown key "bogus" in a step; allowed keys: id, name, op, with, when, foreach, concurrency, fail_fast, confirm, retry, repeat, timeout, needs, continue_on_error, env, rescue, cache, serial, max_fail_percentage`,
		`pb.yaml:10:31: unknown key "rescu" in a step (rescue applies to steps of steps: only, and on_failure steps run after the run's outcome is decided; to go on when it fails, give it continue_on_error: true); ` + keys,
		`pb.yaml:12:31: unknown key "bogus" in a step; ` + keys,
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || strings.HasSuffix(g, w) || strings.Contains(g, w)
		}
		if !found {
			t.Errorf("no line\n  %s\nin\n  %s", w, strings.Join(got, "\n  "))
		}
	}
}
