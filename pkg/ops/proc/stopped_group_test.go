package proc

import (
	"context"
	"strings"
	"testing"
)

// TestAStoppedGroupIsNamedSo: after supervisor.stop removed a group, a
// second stop, a restart or a listing of it said the group was unknown,
// "known: none yet", as if it had never existed, sending the operator to
// look for a typo.
func TestAStoppedGroupIsNamedSo(t *testing.T) {
	_, sup := newEnv(t, Options{})
	if _, err := sup.Start(Spec{Command: []string{"/bin/sleep", "300"}, Group: "web"}); err != nil {
		t.Fatal(err)
	}
	if _, err := sup.Stop(context.Background(), "web"); err != nil {
		t.Fatal(err)
	}
	want := `supervisor "web" was stopped and removed by supervisor.stop; nothing of it is left (start processes into it again with process.start and supervisor: web)`
	_, errStop := sup.Stop(context.Background(), "web")
	_, errRestart := sup.Restart(context.Background(), "web")
	_, errChildren := sup.Children("web")
	for what, err := range map[string]error{"stop": errStop, "restart": errRestart, "children": errChildren} {
		if err == nil || err.Error() != want {
			t.Errorf("%s of a stopped group: %v\nwant: %s", what, err, want)
		}
	}
	_, err := sup.Children("api")
	if want := `no supervisor "api" in this arsenal-run process (known: none; stopped: web)`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("an unknown group: %v\nwant: %s", err, want)
	}
	// Started again, the group is known again.
	if _, err := sup.Start(Spec{Command: []string{"/bin/sleep", "300"}, Group: "web"}); err != nil {
		t.Fatal(err)
	}
	if cs, err := sup.Children("web"); err != nil || len(cs) != 1 {
		t.Errorf("the group started again: %v %v", cs, err)
	}
	if _, err := sup.Stop(context.Background(), "web"); err != nil {
		t.Fatal(err)
	}
}
