package steps

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestEnvFileBesideAServedPlaybook reads the env file of a playbook that
// a daemon serves from its playbooks dir: no file operation touches that
// dir, but arsenal-run loads from it, the playbook and the env file beside
// it alike. Before, the env file was refused as in the playbooks dir, so
// no playbook of serve --playbooks DIR or schedule DIR could have one.
func TestEnvFileBesideAServedPlaybook(t *testing.T) {
	dir := t.TempDir()
	books := filepath.Join(dir, "playbooks")
	if err := os.MkdirAll(filepath.Join(books, "conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		".env":       "TOKEN=t1\n",
		"conf/b.env": "REGION=eu\n",
		"pb.yaml":    "version: 1\nname: p\nenv_file: [.env, conf/b.env]\nsteps: [{id: a, op: control.noop}]\n",
	} {
		if err := os.WriteFile(filepath.Join(books, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	fsroot.ProtectPlaybooks(books, "playbooks dir")
	pb, err := Load(filepath.Join(books, "pb.yaml"), fixtureRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	vars, err := ReadEnvFiles(pb)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"TOKEN": "t1", "REGION": "eu"}, vars); diff != "" {
		t.Errorf("vars (-want +got):\n%s", diff)
	}
	// What is protected outright stays refused, even there.
	fsroot.Protect(filepath.Join(books, "conf"), "state dir")
	if _, err := ReadEnvFiles(pb); !errors.Is(err, ops.ErrDenied) || !strings.Contains(err.Error(), "env_file conf/b.env") {
		t.Errorf("an env file in a state dir: %v; want it denied, naming the file", err)
	}
}

// TestEnvFileValueWithNUL refuses, at the line that sets it, a value
// holding a NUL byte: no process can be given it. Before, validate passed
// and every step that starts a process failed with "starting env:
// %!w(<nil>)".
func TestEnvFileValueWithNUL(t *testing.T) {
	_, err := ParseEnvFile([]byte("A=1\nexport B=x\x00y\n"))
	var ee *EnvFileError
	if !errors.As(err, &ee) || ee.Line != 2 || ee.Col != 8 || !strings.Contains(ee.Msg, "the value of B holds a NUL byte") {
		t.Errorf("got %v, want an *EnvFileError at 2:8 naming B", err)
	}
}

// TestEnvFileSymlinkOutSaysSo: an env file that a symlink leads out of
// the playbook's directory is refused saying so, not with os.Root's
// "openat link.env: path escapes from parent".
func TestEnvFileSymlinkOutSaysSo(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.env"), []byte("S=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for link, to := range map[string]string{"link.env": filepath.Join(outside, "secret.env"), "out": outside} {
		if err := os.Symlink(to, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"link.env", "out/secret.env"} {
		_, err := readEnvFile(dir, &EnvFile{Path: name}, nil)
		want := "env_file " + name + " leads outside the playbook's directory through a symlink"
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "escapes from parent") {
			t.Errorf("%s: %v; want %q", name, err, want)
		}
	}
}

// TestEnvFileBadNamesAreLocated: a name that is not valid UTF-8 is
// reported at its line like any bad name (before, building the pattern
// that finds it panicked, and validate ended in an internal error), and
// a line with no name before its =, or no = at all, is reported at that
// line, saying so (before, as `"" is not a valid environment variable
// name` with no line).
func TestEnvFileBadNamesAreLocated(t *testing.T) {
	for _, c := range []struct {
		src       string
		line, col int
		msg       string
	}{
		{"A=1\n\xff=2\n", 2, 1, `"\xff" is not a valid environment variable name`},
		{"A=1\n# c\nFOO", 3, 1, "the line has no name before its =, or no = at all"},
		{"A=1\n  =2\n", 2, 3, "the line has no name before its =, or no = at all"},
		{"A=1\nexport  B.C=2\n", 2, 9, `"B.C" is not a valid environment variable name`},
	} {
		var err error
		func() {
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("panic: %v", p)
				}
			}()
			_, err = ParseEnvFile([]byte(c.src))
		}()
		var ee *EnvFileError
		if !errors.As(err, &ee) || ee.Line != c.line || ee.Col != c.col || !strings.Contains(ee.Msg, c.msg) {
			t.Errorf("%q: got %v, want %d:%d: …%s…", c.src, err, c.line, c.col, c.msg)
		}
	}
}

// TestEnvFileSyntaxErrorsSayWhatIsThere: godotenv quotes one byte of a
// character that takes several as if it were a character ("é" as "©"),
// and calls the end of a line without = an unexpected "\n" in a name;
// the messages name the character really there, at its column, and say
// that the = is missing. Text after a quoted value, which godotenv reads
// as a name without =, is named as such at its own column.
func TestEnvFileSyntaxErrorsSayWhatIsThere(t *testing.T) {
	for _, c := range []struct {
		src       string
		line, col int
		msg       string
	}{
		{"é=1\n", 1, 1, `unexpected character "é" in variable name`},
		{"A=1\n  Xé-=1\n", 2, 4, `unexpected character "é" in variable name`},
		{"A=1\nB-C=2\n", 2, 2, `unexpected character "-" in variable name`},
		{"A=1\nfoo bar\n", 2, 8, "the line has no = after the name"},
		{"A=\"x\"junk\n", 1, 6, "text after the closing quote of the value; put the whole value inside the quotes"},
		{"A=1\r\nB='x y' z\r\n", 2, 9, "text after the closing quote of the value"},
	} {
		_, err := ParseEnvFile([]byte(c.src))
		var ee *EnvFileError
		if !errors.As(err, &ee) || ee.Line != c.line || ee.Col != c.col || !strings.Contains(ee.Msg, c.msg) {
			t.Errorf("%q: got %v, want %d:%d: …%s…", c.src, err, c.line, c.col, c.msg)
		}
	}
}

// TestEnvFileByteOrderMark: an env file saved by a Windows editor starts
// with a byte order mark and may end its lines with CRLF. It reads as a
// playbook so saved does; it was refused as a name holding "\ufeff".
func TestEnvFileByteOrderMark(t *testing.T) {
	vars, err := ParseEnvFile([]byte("\ufeffGREETING=hello\r\nOTHER=x\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"GREETING": "hello", "OTHER": "x"}, vars); diff != "" {
		t.Errorf("vars (-want +got):\n%s", diff)
	}
	// A problem on the first line is at the column an editor shows.
	_, err = ParseEnvFile([]byte("\ufeffB-C=2\n"))
	var ee *EnvFileError
	if !errors.As(err, &ee) || ee.Line != 1 || ee.Col != 2 {
		t.Errorf("got %v, want 1:2", err)
	}
}

// TestEnvFileSettingNamesTheLastLine: a name set twice in an env file has
// the value of its last line, as godotenv reads it, and a value that does
// not fit its input is reported there. Before, the first line was named,
// one whose value was fine, sending the user to the wrong line.
func TestEnvFileSettingNamesTheLastLine(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		".env":    "PORT=80\n# later\nexport PORT=eighty\n",
		"pb.yaml": "version: 1\nname: p\nenv_file: .env\nsteps: [{id: a, op: control.noop}]\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pb, err := Load(filepath.Join(dir, "pb.yaml"), fixtureRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	where, v, ok := EnvFileSetting(pb, "PORT", nil)
	if !ok || where != ".env:3" || v != "eighty" {
		t.Errorf("got %q %q %v, want .env:3 eighty true", where, v, ok)
	}
	// A NUL byte in the value that wins is located at its own line.
	_, err = ParseEnvFile([]byte("A=ok\nA=x\x00y\n"))
	var ee *EnvFileError
	if !errors.As(err, &ee) || ee.Line != 2 {
		t.Errorf("got %v, want an *EnvFileError at line 2", err)
	}
}

// TestEnvFileUTF16SaysSo: Windows PowerShell's `echo A=1 > .env` writes
// UTF-16 with a byte order mark. Before, it was refused as holding an
// unexpected "\x00" in a variable name at 1:4, which did not say what
// was wrong with the file.
func TestEnvFileUTF16SaysSo(t *testing.T) {
	for _, src := range []string{"\xff\xfeA\x00=\x001\x00\r\x00\n\x00", "\xfe\xff\x00A\x00=\x001"} {
		_, err := ParseEnvFile([]byte(src))
		var ee *EnvFileError
		if !errors.As(err, &ee) || ee.Line != 1 || ee.Col != 1 || !strings.Contains(ee.Msg, "UTF-16") || !strings.Contains(ee.Msg, "save it as UTF-8") {
			t.Errorf("%q: got %v, want 1:1 saying the file is UTF-16 and to save it as UTF-8", src, err)
		}
	}
}

// TestEnvFileReportsEveryBadLine: an env file with several mistakes
// names each at its line and column, as validate reports every other
// problem at once, not the first alone; an unterminated quote, which
// takes in the rest of the file, is the last one named.
func TestEnvFileReportsEveryBadLine(t *testing.T) {
	src := "A=1\nB-C=2\nD=3\nfoo bar\nE.F=4\nG='x\nH-I=5\n"
	_, err := ParseEnvFile([]byte(src))
	var list EnvFileErrors
	if !errors.As(err, &list) {
		t.Fatalf("got %v, want EnvFileErrors", err)
	}
	want := []string{
		`2:2: unexpected character "-"`,
		"4:8: the line has no = after the name",
		`5:1: "E.F" is not a valid environment variable name`,
		"6:3: unterminated quoted value",
	}
	if len(list) != len(want) {
		t.Fatalf("got %d problems:\n%v\nwant %d", len(list), err, len(want))
	}
	for i, w := range want {
		if got := list[i].Error(); !strings.HasPrefix(got, w) {
			t.Errorf("problem %d: got %q, want %q…", i, got, w)
		}
	}
	var first *EnvFileError
	if !errors.As(err, &first) || first.Line != 2 {
		t.Errorf("errors.As gives %v, want the problem at line 2", first)
	}

	// validate names the file in each, one diagnostic a problem.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	pbPath := filepath.Join(dir, "pb.yaml")
	pbText := "version: 1\nname: p\nenv_file: .env\nsteps: [{id: a, op: control.noop}]\n"
	if err := os.WriteFile(pbPath, []byte(pbText), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(pbPath, fixtureRegistry(t))
	for _, w := range want {
		if !strings.Contains(fmt.Sprint(err), "env_file .env:"+w) {
			t.Errorf("load error %v\nlacks env_file .env:%s", err, w)
		}
	}
}

// TestEnvFileTooLargeSaysItsSize: an env file over the limit is refused
// with its size and the limit in MiB, and what to do instead; not the
// limit in bytes and the name of a Go constant.
func TestEnvFileTooLargeSaysItsSize(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "big.env"), make([]byte, 2<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := readEnvFile(dir, &EnvFile{Path: "big.env"}, nil)
	want := "env_file big.env is 2.0 MiB (2097152 bytes), over the limit of 1 MiB; keep an env file to short settings, and put large values in a file the step reads"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}
