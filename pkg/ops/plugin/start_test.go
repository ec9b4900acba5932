package plugin_test

import (
	"os"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
	"github.com/arsenal-run/arsenal-run/pkg/ops/plugin"
)

// TestStartFailureSaysWhy: a program the system cannot start is told
// plainly, not in the kernel's words: a missing #! interpreter is not "no
// such file or directory" about a program that is there, and a script
// without a #! line is not an "exec format error".
func TestStartFailureSaysWhy(t *testing.T) {
	for _, tc := range []struct {
		name, program string
		want          []string
	}{
		{"missing interpreter", "#!/nonexistent/python9 -u\nprint('{}')\n",
			[]string{"p.prog starts with #!/nonexistent/python9 -u, and its interpreter /nonexistent/python9 was not found; fix the #! line, or install the interpreter"}},
		{"no #! line", "echo '{}'\n",
			[]string{"p.prog is neither a program for this system nor a script with a #! line; add one, like #!/bin/sh, as its first line"}},
		{"CRLF line endings", "#!/bin/sh\r\necho '{}'\r\n",
			[]string{`p.prog has Windows line endings (CRLF): its #! line names the interpreter "/bin/sh\r"`, "convert the file to Unix line endings (LF)"}},
		{"byte order mark", "\ufeff#!/bin/sh\necho '{}'\n",
			[]string{"p.prog starts with a byte order mark (U+FEFF) before its #! line", "save it as UTF-8 without a BOM"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "p.prog", tc.program, 0o755)
			write(t, dir, "p.yaml", "version: 1\nname: acme.p\ncategory: acme\ndescription: A test.\nrisk: read\ncommand: [./p.prog]\n", 0o644)
			reg := registry(t, dir, plugin.Options{})
			_, err := opstest.Execute(reg, callCtx(), "acme.p", nil)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestStartFailureSinceLoad: a program that lost its execute bit, or was
// removed, after the manifests were loaded (serve and schedule load them
// once) is told so with what to do, not as the kernel's bare "permission
// denied" or "no such file or directory".
func TestStartFailureSinceLoad(t *testing.T) {
	dir := t.TempDir()
	prog := write(t, dir, "p.prog", "#!/bin/sh\necho '{}'\n", 0o755)
	write(t, dir, "p.yaml", "version: 1\nname: acme.p\ncategory: acme\ndescription: A test.\nrisk: read\ncommand: [./p.prog]\n", 0o644)
	reg := registry(t, dir, plugin.Options{})
	if err := os.Chmod(prog, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := opstest.Execute(reg, callCtx(), "acme.p", nil)
	if want := prog + " is not executable (mode 0644); chmod +x it"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a program made 0644: got %v, want %q", err, want)
	}
	if err := os.Remove(prog); err != nil {
		t.Fatal(err)
	}
	_, err = opstest.Execute(reg, callCtx(), "acme.p", nil)
	if want := prog + " does not exist, though it did when the plugins were loaded; put it back"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a program removed: got %v, want %q", err, want)
	}
}
