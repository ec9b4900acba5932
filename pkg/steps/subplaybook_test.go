package steps

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestSubPlaybookStaysInItsDirectory checks that validation reads a
// sub-playbook only inside the calling playbook's directory tree: a
// symlink leading out of it is not followed, so nothing of the file it
// points at can show in a message. Whether the run may read such a file
// depends on the caller's roles, which the run checks.
func TestSubPlaybookStaysInItsDirectory(t *testing.T) {
	reg := fixtureRegistry(t)
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.yaml")
	if err := os.WriteFile(secret, []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(secret, filepath.Join(dir, "link.yaml")); err != nil {
		t.Skip("cannot make a symlink:", err)
	}
	main := filepath.Join(dir, "main.yaml")
	src := fmt.Sprintf(`version: 1
name: main
steps:
  - {id: a, op: playbook.run, with: {path: link.yaml, inputs: {x: 1}}}
  - {id: b, op: playbook.run, with: {path: %q, inputs: {x: 1}}}
  - {id: c, op: playbook.run, with: {path: ../%s/secret.yaml}}
`, secret, filepath.Base(outside))
	if err := os.WriteFile(main, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(main, reg); err != nil {
		t.Errorf("want no diagnostics for sub-playbooks outside the directory, got:\n%v", err)
	}
}

// TestSubPlaybookChainEnds checks that a long chain of sub-playbooks, each
// calling the next, loads in bounded work: validation follows at most
// maxSubLoads levels, and a cycle back to a playbook being loaded stops.
func TestSubPlaybookChainEnds(t *testing.T) {
	reg := fixtureRegistry(t)
	dir := t.TempDir()
	const n = 30
	for i := range n {
		next := fmt.Sprintf("p%d.yaml", (i+1)%n) // the last calls the first
		src := fmt.Sprintf("version: 1\nname: p%d\nsteps:\n  - {id: a, op: playbook.run, with: {path: %s}}\n  - {id: b, op: playbook.run, with: {path: %s}}\n", i, next, next)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("p%d.yaml", i)), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Load(filepath.Join(dir, "p0.yaml"), reg); err != nil {
		t.Fatalf("a chain of valid playbooks: %v", err)
	}
	// A mistake deep in the chain, beyond the levels followed, is found
	// when that playbook itself is validated, or when it runs.
	if err := os.WriteFile(filepath.Join(dir, "p5.yaml"), []byte("version: 1\nname: p5\nsteps:\n  - {id: a, op: control.nop}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(filepath.Join(dir, "p3.yaml"), reg)
	if err == nil || !strings.Contains(err.Error(), "p4.yaml has problems") {
		t.Errorf("want p3 to report that p4 has problems, got %v", err)
	}
}

// TestSubPlaybookFIFODoesNotBlock checks that validating a playbook.run
// step whose path is a FIFO in the playbook's directory returns at once:
// the open never waits for a writer, and the run says what is wrong.
func TestSubPlaybookFIFODoesNotBlock(t *testing.T) {
	reg := fixtureRegistry(t)
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.yaml"), 0o644); err != nil {
		t.Skip("cannot make a FIFO:", err)
	}
	main := filepath.Join(dir, "main.yaml")
	if err := os.WriteFile(main, []byte("version: 1\nname: main\nsteps:\n  - {id: a, op: playbook.run, with: {path: fifo.yaml}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := Load(main, reg); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("a FIFO is the run's to refuse, not validation's: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("loading a playbook that runs a FIFO blocked")
	}
}

// writeFiles writes name: body pairs into dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// callsNext is a playbook whose second step, the path at 5:47, runs next.
func callsNext(name, next string) string {
	return fmt.Sprintf("version: 1\nname: %s\nsteps:\n  - {id: sh, op: control.log, with: {message: %s}}\n  - {id: next, op: playbook.run, with: {path: %s}}\n", name, name, next)
}

// loadChains loads file with the chain check and returns its errors as
// file:line:col: message lines.
func loadChains(t *testing.T, file string) []string {
	t.Helper()
	_, err := Load(file, fixtureRegistry(t), WithSubChainCheck())
	if err == nil {
		return nil
	}
	ds, ok := err.(Diagnostics)
	if !ok {
		t.Fatalf("want Diagnostics, got %T: %v", err, err)
	}
	var out []string
	for _, d := range ds {
		out = append(out, d.Error())
	}
	return out
}

// TestSubPlaybookCycles checks that, with WithSubChainCheck (validate's),
// a chain of playbook.run steps with literal paths that leads back into
// itself is an error at the path of the step that closes it, naming the
// chain: the run refuses it when the step starts, after the steps before
// it have run. Two names of one file (a symlink) are one playbook. Without
// the option the playbooks load, for the run to refuse.
func TestSubPlaybookCycles(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"self.yaml": callsNext("self", "self.yaml"),
		"a.yaml":    callsNext("a", "b.yaml"),
		"b.yaml":    callsNext("b", "a.yaml"),
		"top.yaml":  callsNext("top", "a.yaml"),
		"via.yaml":  callsNext("via", "./sub/../alias.yaml"),
		"real.yaml": callsNext("real", "alias.yaml"),
	})
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	symlinks := os.Symlink("real.yaml", filepath.Join(dir, "alias.yaml")) == nil
	t.Chdir(dir)
	for _, tc := range []struct {
		file string
		want []string
		link bool // needs the symlink
	}{
		{"self.yaml", []string{"self.yaml:5:47: self.yaml → self.yaml: a playbook.run cycle; it would fail at run time when this step starts, since a playbook may not run itself, directly or not; remove this step; to run steps again"}, false},
		{"a.yaml", []string{"b.yaml:5:47: a.yaml → b.yaml → a.yaml: a playbook.run cycle; it would fail at run time"}, false},
		// The chain is named from the playbook validated, as the run
		// names it.
		{"top.yaml", []string{"b.yaml:5:47: top.yaml → a.yaml → b.yaml → a.yaml: a playbook.run cycle; it would fail at run time when this step starts, since a playbook may not run itself, directly or not; remove this step, or move what the playbooks of the cycle share"}, false},
		{"real.yaml", []string{"real.yaml:5:47: real.yaml → alias.yaml: a playbook.run cycle (alias.yaml and real.yaml are one file); "}, true},
		{"via.yaml", []string{"alias.yaml:5:47: via.yaml → alias.yaml → alias.yaml: a playbook.run cycle; "}, true},
	} {
		if tc.link && !symlinks {
			t.Logf("%s: skipped, cannot make a symlink", tc.file)
			continue
		}
		got := loadChains(t, tc.file)
		ok := len(got) == len(tc.want)
		for i := 0; ok && i < len(got); i++ {
			ok = strings.HasPrefix(got[i], tc.want[i])
		}
		if !ok {
			t.Errorf("%s: want\n  %s\ngot\n  %s", tc.file, strings.Join(tc.want, "\n  "), strings.Join(got, "\n  "))
		}
		if _, err := Load(tc.file, fixtureRegistry(t)); err != nil {
			t.Errorf("%s without the chain check: the run refuses a cycle itself, want no diagnostics, got:\n%v", tc.file, err)
		}
	}
}

// TestSubPlaybookChainTooDeep checks that a chain of more than
// MaxSubDepth playbooks is an error at the step that goes past it, in the
// playbook validated, and a chain of MaxSubDepth is fine: the run would
// run the steps of the first eight, then fail "nested more than 8 deep".
func TestSubPlaybookChainTooDeep(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"p11.yaml": "version: 1\nname: p11\nsteps:\n  - {id: sh, op: control.log, with: {message: p11}}\n"}
	for i := range 11 {
		files[fmt.Sprintf("p%d.yaml", i)] = callsNext(fmt.Sprintf("p%d", i), fmt.Sprintf("p%d.yaml", i+1))
	}
	writeFiles(t, dir, files)
	t.Chdir(dir)
	got := loadChains(t, "p0.yaml")
	want := `p7.yaml:5:47: p0.yaml → p1.yaml → p2.yaml → p3.yaml → p4.yaml → p5.yaml → p6.yaml → p7.yaml → p8.yaml: this playbook.run would nest 9 playbooks, past the 8 a run allows; the run would fail here, after running the steps before it, with "nested more than 8 deep"; call p8.yaml from a playbook higher in the chain, or merge two playbooks of the chain`
	if len(got) != 1 || got[0] != want {
		t.Errorf("want\n  %s\ngot\n  %s", want, strings.Join(got, "\n  "))
	}
	// p4 → … → p11 is eight playbooks: the longest chain a run allows.
	if got := loadChains(t, "p4.yaml"); got != nil {
		t.Errorf("a chain of %d playbooks: want no problems, got\n  %s", MaxSubDepth, strings.Join(got, "\n  "))
	}
	if got := loadChains(t, "p3.yaml"); len(got) != 1 || !strings.HasPrefix(got[0], "p10.yaml:5:47: p3.yaml → ") {
		t.Errorf("a chain of %d playbooks: want a problem at p10.yaml:5:47, got\n  %s", MaxSubDepth+1, strings.Join(got, "\n  "))
	}
}

// TestSubPlaybookChainReadAgain checks that a playbook first read at the
// end of a long chain, where its own sub-playbooks are not read, is read
// again when a shorter chain reaches it, so that a chain too long from
// there is found too.
func TestSubPlaybookChainReadAgain(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		// top runs d1 → … → d6 → z first, then z directly.
		"top.yaml": "version: 1\nname: top\nsteps:\n  - {id: long, op: playbook.run, with: {path: d1.yaml}}\n  - {id: short, op: playbook.run, with: {path: z0.yaml}}\n",
		"z8.yaml":  "version: 1\nname: z8\nsteps:\n  - {id: sh, op: control.log, with: {message: z8}}\n",
	}
	for i := 1; i <= 6; i++ {
		next := fmt.Sprintf("d%d.yaml", i+1)
		if i == 6 {
			next = "z0.yaml"
		}
		files[fmt.Sprintf("d%d.yaml", i)] = callsNext(fmt.Sprintf("d%d", i), next)
	}
	for i := range 8 {
		files[fmt.Sprintf("z%d.yaml", i)] = callsNext(fmt.Sprintf("z%d", i), fmt.Sprintf("z%d.yaml", i+1))
	}
	writeFiles(t, dir, files)
	t.Chdir(dir)
	got := loadChains(t, "top.yaml")
	// top, d1..d6, z0 are eight: z0 may not call z1. top, z0..z6 are
	// eight too: z6 may not call z7.
	if len(got) != 2 || !strings.HasPrefix(got[0], "z0.yaml:5:47: top.yaml → d1.yaml → ") || !strings.HasPrefix(got[1], "z6.yaml:5:47: top.yaml → z0.yaml → z1.yaml → ") {
		t.Errorf("want problems at z0.yaml:5:47 and z6.yaml:5:47, got\n  %s", strings.Join(got, "\n  "))
	}
}

// TestSubPlaybookConcurrencyIsNotTaken: a sub-playbook's concurrency group
// is not taken under playbook.run, so a step that runs one that declares a
// group is warned about at its path, and a sub-playbook without one is not.
func TestSubPlaybookConcurrencyIsNotTaken(t *testing.T) {
	reg := fixtureRegistry(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"migrate.yaml": "version: 1\nname: migrate\nconcurrency: {group: db-migrate}\nsteps:\n  - {id: m, op: control.noop}\n",
		"plain.yaml":   "version: 1\nname: plain\nsteps:\n  - {id: p, op: control.noop}\n",
		"rotate.yaml":  "version: 1\nname: rotate\nconcurrency: {policy: skip}\nsteps:\n  - {id: r, op: control.noop}\n",
		"caller.yaml":  "version: 1\nname: caller\nsteps:\n  - {id: m, op: playbook.run, with: {path: migrate.yaml}}\n  - {id: p, op: playbook.run, with: {path: plain.yaml}}\n  - {id: r, op: playbook.run, with: {path: rotate.yaml}}\n",
	})
	pb, err := Load(filepath.Join(dir, "caller.yaml"), reg)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range pb.Warnings {
		got = append(got, fmt.Sprintf("%d:%d: %s", w.Pos.Line, w.Pos.Col, w.Msg))
	}
	want := []string{"4:44: migrate.yaml declares a concurrency group, which playbook.run does not take: two runs of this playbook may run migrate.yaml at the same time; to keep them apart, give this playbook concurrency: {group: db-migrate}",
		"6:44: rotate.yaml declares a concurrency group, which playbook.run does not take: two runs of this playbook may run rotate.yaml at the same time; to keep them apart, give this playbook concurrency: {group: rotate}"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// TestSubPlaybookConcurrencyHeldByTheCaller: a caller that holds the
// sub-playbook's group itself, as the warning advises, or a group of its
// own computing, is not warned; a caller with another group is.
func TestSubPlaybookConcurrencyHeldByTheCaller(t *testing.T) {
	reg := fixtureRegistry(t)
	dir := t.TempDir()
	step := "steps:\n  - {id: m, op: playbook.run, with: {path: migrate.yaml}}\n"
	writeFiles(t, dir, map[string]string{
		"migrate.yaml":  "version: 1\nname: migrate\nconcurrency: {group: db-migrate}\nsteps:\n  - {id: m, op: control.noop}\n",
		"same.yaml":     "version: 1\nname: same\n" + step + "concurrency: {group: db-migrate}\n",
		"computed.yaml": "version: 1\nname: computed\ninputs:\n  db: {type: string}\nconcurrency: {group: \"migrate-${{ inputs.db }}\"}\n" + step,
		"other.yaml":    "version: 1\nname: other\nconcurrency: {group: deploys}\n" + step,
	})
	for name, want := range map[string]int{"same.yaml": 0, "computed.yaml": 0, "other.yaml": 1} {
		pb, err := Load(filepath.Join(dir, name), reg)
		if err != nil {
			t.Fatal(err)
		}
		if len(pb.Warnings) != want {
			t.Errorf("%s: warnings %v, want %d", name, pb.Warnings, want)
		}
	}
}
