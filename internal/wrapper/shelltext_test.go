package wrapper

import "testing"

func TestShellText(t *testing.T) {
	for _, c := range []struct {
		argv []string
		text string
		ok   bool
	}{
		{[]string{"sh", "-c", "/srv/x.sh arg"}, "/srv/x.sh arg", true},
		{[]string{"/bin/sh", "-e", "-c", "run"}, "run", true},
		{[]string{"bash", "-eo", "pipefail", "-c", "run"}, "run", true},
		{[]string{"bash", "-ce", "run"}, "run", true},
		{[]string{"bash", "-c", "-o", "pipefail", "run"}, "run", true},
		{[]string{"sh", "-c", "--", "run"}, "run", true},
		{[]string{"bash", "--norc", "-c", "run"}, "run", true},
		{[]string{"bash", "--rcfile", "/etc/rc", "-c", "run"}, "run", true},
		{[]string{"sh", "+o", "errexit", "-c", "run"}, "run", true},
		{[]string{"sh", "/srv/x.sh"}, "", false},
		{[]string{"sh", "-s"}, "", false},
		{[]string{"sh", "-c"}, "", false},
		{[]string{"sh", "-o", "c", "x.sh"}, "", false},
		{[]string{"python3", "-c", "print(1)"}, "", false},
		{[]string{"grep", "-c", "x"}, "", false},
	} {
		text, ok := ShellText(c.argv[0], c.argv[1:])
		if text != c.text || ok != c.ok {
			t.Errorf("ShellText(%q) = %q, %v; want %q, %v", c.argv, text, ok, c.text, c.ok)
		}
	}
}
