package sandbox

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

func TestParse(t *testing.T) {
	l, err := Parse(map[string]any{"memory": "512Mi", "cpu": "90s", "processes": 64, "open_files": 256, "file_size": "10Mi", "network": false}, true)
	if err != nil {
		t.Fatal(err)
	}
	want := &Limits{NetworkSet: true, Memory: 512 << 20, CPU: 90 * time.Second, Processes: 64, OpenFiles: 256, FileSize: 10 << 20}
	if diff := cmp.Diff(want, l); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if l, _ := Parse(map[string]any{}, true); !l.Network || l.NetworkSet {
		t.Errorf("an empty sandbox: %+v, want network as the default", l)
	}
	if _, err := Parse(map[string]any{"memory": ops.Deferred}, false); err != nil {
		t.Errorf("an expression at load time: %v", err)
	}
	for m, msg := range map[string]string{
		"memry": `unknown limit (did you mean "memory"?)`,
		"cpu":   "want a duration",
	} {
		_, err := Parse(map[string]any{m: true}, true)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v, want %q", m, err, msg)
		}
	}
	// A count given as a list or map is named by its kind, not printed
	// as Go prints one ([1 2], map[a:1]).
	for _, c := range []struct {
		v    any
		want string
	}{
		{[]any{1, 2}, "processes: want a whole number, got a list"},
		{map[string]any{"a": 1}, "processes: want a whole number, got a map"},
		{"many", `processes: want a whole number, got "many"`},
		{1.5, "processes: want a whole number, got 1.5"},
	} {
		_, err := Parse(map[string]any{"processes": c.v}, true)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("processes %v: %v, want %q", c.v, err, c.want)
		}
	}
}

func TestRequirementApply(t *testing.T) {
	req := func(m map[string]any) *Limits {
		l, err := Parse(m, true)
		if err != nil {
			t.Fatal(err)
		}
		return l.Requirement()
	}
	step := func(m map[string]any) *Limits {
		l, err := Parse(m, true)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	strict := req(map[string]any{"memory": "512Mi", "processes": 64})
	if strict.Network {
		t.Fatal("a requirement without network: has network")
	}
	// An empty sandbox gets the role's limits and no network.
	got, err := Apply(step(map[string]any{}), strict)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&Limits{NetworkSet: false, Memory: 512 << 20, Processes: 64}, got); diff != "" {
		t.Errorf("sandbox: {} under the requirement (-want +got):\n%s", diff)
	}
	// Tighter limits stay.
	got, err = Apply(step(map[string]any{"memory": "64Mi", "cpu": "5s"}), strict)
	if err != nil || got.Memory != 64<<20 || got.CPU != 5*time.Second || got.Processes != 64 || got.Network {
		t.Errorf("tighter limits: %+v %v", got, err)
	}
	// Looser ones are refused, naming the limit and the most allowed.
	for m, msg := range map[string]map[string]any{
		"network: true": {"network": true},
		"memory 1Gi is more than the caller's role allows (512Mi)": {"memory": "1Gi"},
		"processes 65 is more": {"processes": 65},
	} {
		if _, err := Apply(step(msg), strict); err == nil || !strings.Contains(err.Error(), m) {
			t.Errorf("%v: %v, want %q", msg, err, m)
		}
	}
	// A requirement that allows network leaves the step's choice.
	open := req(map[string]any{"network": true})
	if got, _ := Apply(step(map[string]any{}), open); !got.Network {
		t.Error("network allowed by the role but off")
	}
	if got, _ := Apply(step(map[string]any{"network": false}), open); got.Network {
		t.Error("network: false in the step but on")
	}
}

func TestLoosest(t *testing.T) {
	a := &Limits{Network: false, Memory: 256 << 20, Processes: 10, CPU: time.Second}
	b := &Limits{Network: true, Memory: 512 << 20, Processes: 0, CPU: 0, OpenFiles: 9}
	got := Loosest(a, b)
	want := &Limits{Network: true, NetworkSet: true, Memory: 512 << 20}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if Loosest(nil, a) != a || Loosest(a, nil) != a {
		t.Error("nil is not neutral")
	}
	if s := (&Limits{Memory: 512 << 20, Processes: 64}).String(); s != "{network: false, memory: 512Mi, processes: 64}" {
		t.Errorf("String() = %s", s)
	}
}
