package steps

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/control"
)

// TestExpandMatrixAsGitHubActions checks the matrix against the example
// GitHub's documentation gives for include: values are added to the
// combinations they fit, and an entry that fits none is a combination of
// its own.
func TestExpandMatrixAsGitHubActions(t *testing.T) {
	got, err := ExpandMatrix(
		[]string{"fruit", "animal"},
		[][]any{{"apple", "pear"}, {"cat", "dog"}},
		[]any{
			map[string]any{"color": "green"},
			map[string]any{"color": "pink", "animal": "cat"},
			map[string]any{"fruit": "apple", "shape": "circle"},
			map[string]any{"fruit": "banana"},
			map[string]any{"fruit": "banana", "animal": "cat"},
		}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{
		map[string]any{"fruit": "apple", "animal": "cat", "color": "pink", "shape": "circle"},
		map[string]any{"fruit": "apple", "animal": "dog", "color": "green", "shape": "circle"},
		map[string]any{"fruit": "pear", "animal": "cat", "color": "pink"},
		map[string]any{"fruit": "pear", "animal": "dog", "color": "green"},
		map[string]any{"fruit": "banana"},
		map[string]any{"fruit": "banana", "animal": "cat"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("matrix (-want +got):\n%s", diff)
	}
}

func TestExpandMatrixExclude(t *testing.T) {
	got, err := ExpandMatrix(
		[]string{"os", "ver"},
		[][]any{{"linux", "darwin"}, {1, 2, 3}},
		nil,
		[]any{map[string]any{"os": "darwin", "ver": 1}, map[string]any{"ver": 3}})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{
		map[string]any{"os": "linux", "ver": 1},
		map[string]any{"os": "linux", "ver": 2},
		map[string]any{"os": "darwin", "ver": 2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("matrix (-want +got):\n%s", diff)
	}
	if _, err := ExpandMatrix([]string{"a"}, [][]any{{1}}, []any{"x"}, nil); err == nil || !strings.Contains(err.Error(), "must be mappings") {
		t.Errorf("a string include entry: %v", err)
	}
	if _, err := ExpandMatrix([]string{"a"}, [][]any{{}}, nil, nil); err == nil || !strings.Contains(err.Error(), "no values") {
		t.Errorf("an empty axis: %v", err)
	}
}

func TestParseEnvFile(t *testing.T) {
	vars, err := ParseEnvFile([]byte("# comment\nA=1\nexport B='two $A'\nC=\"three ${A}\\nline\"\nD: four # trailing\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"A": "1", "B": "two $A", "C": "three 1\nline", "D": "four"}
	if diff := cmp.Diff(want, vars); diff != "" {
		t.Errorf("vars (-want +got):\n%s", diff)
	}
	for _, c := range []struct {
		src       string
		line, col int
		msg       string
	}{
		{"A=1\n\n  B C=2\n", 3, 3, `"B C" is not a valid`},
		{"A=1\nB-C=2\n", 2, 2, `unexpected character "-" in variable name`},
		{"A=1\r\nB='x\r\nC=3\r\n", 2, 3, "unterminated quoted value"},
		{"A=1\nmy.var=2\n", 2, 1, `"my.var" is not a valid environment variable name`},
		{"OK=1\nexport 1X=2\n", 2, 8, `"1X" is not a valid`},
	} {
		_, err := ParseEnvFile([]byte(c.src))
		var ee *EnvFileError
		if !errors.As(err, &ee) {
			t.Errorf("%q: error %v, want an *EnvFileError", c.src, err)
			continue
		}
		if ee.Line != c.line || ee.Col != c.col || !strings.Contains(ee.Msg, c.msg) {
			t.Errorf("%q: got %d:%d %q, want %d:%d …%s…", c.src, ee.Line, ee.Col, ee.Msg, c.line, c.col, c.msg)
		}
	}
}

func TestMergeEnviron(t *testing.T) {
	got := MergeEnviron([]string{"HOME=/root", "A=from-process"}, map[string]string{"A": "from-file", "Z": "z", "B": "b"})
	want := []string{"HOME=/root", "A=from-process", "B=b", "Z=z"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("environ (-want +got):\n%s", diff)
	}
}

// TestReadEnvFilesAtRunTime reads the files again, in order, a later one
// overriding an earlier one; a file that changed since the load into one
// that does not parse is an error naming it.
func TestReadEnvFilesAtRunTime(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.env", "X=1\nY=1\n")
	write("conf/b.env", "Y=2\n")
	write("pb.yaml", "version: 1\nname: p\nenv_file: [a.env, conf/b.env]\nsteps: [{id: a, op: control.noop}]\n")
	pb, err := Load(filepath.Join(dir, "pb.yaml"), fixtureRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	vars, err := ReadEnvFiles(pb)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"X": "1", "Y": "2"}, vars); diff != "" {
		t.Errorf("vars (-want +got):\n%s", diff)
	}
	write("conf/b.env", "Y=\"open\n")
	if _, err := ReadEnvFiles(pb); err == nil || !strings.Contains(err.Error(), "env_file conf/b.env:1:3: unterminated") {
		t.Errorf("a broken file: %v", err)
	}
	// A symlink cannot lead out of the playbook's directory.
	outside := filepath.Join(t.TempDir(), "secret.env")
	if err := os.WriteFile(outside, []byte("S=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link.env")); err != nil {
		t.Fatal(err)
	}
	write("pb.yaml", "version: 1\nname: p\nenv_file: link.env\nsteps: [{id: a, op: control.noop}]\n")
	if _, err := Load(filepath.Join(dir, "pb.yaml"), fixtureRegistry(t)); err == nil || !strings.Contains(err.Error(), "env_file link.env") {
		t.Errorf("a symlink out of the directory: %v", err)
	}
}

// TestNotifyNeedsItsOperation refuses a notify: entry when the registry
// has no operation to send it with, and fills the run summary into the
// parameters an entry leaves out.
func TestNotifyNeedsItsOperation(t *testing.T) {
	src := []byte(`version: 1
name: n
steps: [{id: a, op: control.noop}]
notify:
  - webhook: {url: "http://x"}
`)
	r := ops.NewRegistry()
	if err := control.Register(r); err != nil {
		t.Fatal(err)
	}
	_, err := Parse("n.yaml", src, r)
	if err == nil || !strings.Contains(err.Error(), "n.yaml:5:5: notify webhook needs the operation notify.webhook, which this build does not have") {
		t.Errorf("without notify.webhook: %v", err)
	}
	pb, err := Parse("n.yaml", src, fixtureRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	s := pb.Notify[0]
	if s.ID != "notify_1" || s.Section != SectionNotify || s.Op != NotifyWebhookOp {
		t.Errorf("the entry is step %s of %s calling %s", s.ID, s.Section, s.Op)
	}
	if diff := cmp.Diff([]string{NotifyFailure, NotifyCancelled}, s.NotifyOn); diff != "" {
		t.Errorf("default on (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"url", "title", "text", "fields", "link"}, s.With.Keys); diff != "" {
		t.Errorf("with keys (-want +got):\n%s", diff)
	}
	if got := pb.AllSteps()[len(pb.AllSteps())-1]; got != s {
		t.Errorf("AllSteps ends with %s, want the notify step", got.ID)
	}
}

// TestRescueAndSectionsInAllSteps checks the order of AllSteps: each step
// followed by its rescue steps, then the handler sections in the order
// they run.
func TestRescueAndSectionsInAllSteps(t *testing.T) {
	pb, err := Load(filepath.Join(fixtureDir, "valid", "handlers.yaml"), fixtureRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range pb.AllSteps() {
		got = append(got, string(s.Section)+"/"+s.ID)
	}
	want := []string{"steps/deploy", "rescue/rollback", "rescue/verify_rollback", "steps/check", "on_success/celebrate", "on_failure/page", "on_cancel/cancelled", "finally/tidy"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("AllSteps (-want +got):\n%s", diff)
	}
	if r := pb.Step("verify_rollback"); r.RescueOf != pb.Step("deploy") || len(r.Needs) != 1 || r.Needs[0] != "rollback" {
		t.Errorf("verify_rollback rescues %v and needs %v", r.RescueOf, r.Needs)
	}
	if r := pb.Step("rollback"); len(r.Needs) != 0 {
		t.Errorf("the first rescue step needs %v, want nothing", r.Needs)
	}
}
