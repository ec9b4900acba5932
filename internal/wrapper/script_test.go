package wrapper

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestScriptFiles: the script a known interpreter runs is its first
// operand past its options and their values, in the directory an option
// moves it to; none when an option gives the program text or a module,
// or when it reads standard input; none for a program that is no
// interpreter known here. The files its options name are scripts too.
func TestScriptFiles(t *testing.T) {
	tests := []struct {
		argv   []string
		script string // "" = none; several joined by " + "
	}{
		{[]string{"bash", "/tmp/fix.sh"}, "/tmp/fix.sh"},
		{[]string{"/bin/bash", "-eu", "-o", "pipefail", "fix.sh", "-c"}, "fix.sh"},
		{[]string{"bash", "+o", "posix", "--norc", "--rcfile", "rc", "fix.sh"}, "rc + fix.sh"},
		{[]string{"bash", "--", "fix.sh"}, "fix.sh"},
		{[]string{"sh", "-c", "echo hi", "/tmp/x"}, ""},
		{[]string{"sh", "-ec", "echo hi"}, ""},
		{[]string{"bash", "-s", "/tmp/x"}, ""},
		{[]string{"dash", "-"}, ""},
		{[]string{"bash", "-", "/tmp/fix.sh"}, "/tmp/fix.sh"},
		{[]string{"python3", "-", "/tmp/arg"}, ""},
		{[]string{"zsh"}, ""},
		{[]string{"python3", "/srv/shared/x.py"}, "/srv/shared/x.py"},
		{[]string{"python3.11", "-u", "-W", "error", "-Xdev", "x.py"}, "x.py"},
		{[]string{"python", "-m", "http.server"}, ""},
		{[]string{"python3", "-Ic", "print(1)"}, ""},
		{[]string{"pypy3", "x.py"}, "x.py"},
		{[]string{"perl", "-w", "-I", "lib", "-Mstrict", "x.pl"}, "x.pl + lib/strict.pm"},
		{[]string{"perl", "-ne", "print", "/tmp/log"}, ""},
		{[]string{"perl", "-lne", "print", "/tmp/log"}, ""},
		{[]string{"perl", "-lane", "print $F[0]", "/tmp/log"}, ""},
		{[]string{"perl", "-0777ne", "print", "/tmp/log"}, ""},
		{[]string{"perl", "-l015e", "print", "/tmp/log"}, ""},
		{[]string{"perl", "-0x1Fne", "print", "/tmp/log"}, ""},
		{[]string{"perl", "-l", "-w", "x.pl"}, "x.pl"},
		{[]string{"perl", "-00", "-lw", "x.pl"}, "x.pl"},
		{[]string{"perl", "-lI", "lib", "x.pl"}, "x.pl"},
		{[]string{"ruby", "-lne", "puts $_", "/tmp/log"}, ""},
		{[]string{"ruby", "-lane", "puts $F[0]", "/tmp/log"}, ""},
		{[]string{"ruby", "-0777ne", "puts 1", "/tmp/log"}, ""},
		{[]string{"ruby", "-lw", "x.rb"}, "x.rb"},
		{[]string{"perl5.36", "x.pl"}, "x.pl"},
		{[]string{"ruby", "-r", "json", "x.rb"}, "x.rb"},
		{[]string{"ruby", "-e", "puts 1"}, ""},
		{[]string{"node", "--require", "m", "--inspect=9229", "x.js"}, "x.js"},
		{[]string{"node", "--eval", "1"}, ""},
		{[]string{"php", "/tmp/x.php"}, "/tmp/x.php"},
		{[]string{"php8.2", "-f", "/tmp/x.php"}, "/tmp/x.php"},
		{[]string{"php", "-d", "memory_limit=1G", "-n", "x.php", "-f"}, "x.php"},
		{[]string{"php", "--file=x.php"}, "x.php"},
		{[]string{"php", "-r", "echo 1;", "/tmp/arg"}, ""},
		{[]string{"php", "-R", "echo $argn;", "-F", "each.php"}, ""},
		{[]string{"php", "-B", "$n=0;", "-F", "each.php"}, ""},
		{[]string{"php", "-F", "each.php"}, "each.php"},
		{[]string{"php", "-f", "x.php", "/tmp/data.csv"}, "x.php"},
		{[]string{"php", "-f", "x.php", "--", "/tmp/data.csv"}, "x.php"},
		{[]string{"php", "-nF", "each.php", "/tmp/data.csv"}, "each.php"},
		{[]string{"php", "--file", "x.php", "/tmp/data.csv"}, "x.php"},
		{[]string{"php", "--file=x.php", "/tmp/data.csv"}, "x.php"},
		{[]string{"ruby", "-C", "/srv/app", "x.rb"}, "/srv/app/x.rb"},
		{[]string{"ruby", "-C/srv/app", "-Ilib", "bin/x.rb"}, "/srv/app/bin/x.rb"},
		{[]string{"ruby", "-Csrv", "-Capp", "x.rb"}, "srv/app/x.rb"},
		{[]string{"ruby", "-x/srv/app", "x.rb"}, "/srv/app/x.rb"},
		{[]string{"ruby", "-i.bak", "-pe", "1", "f"}, ""},
		{[]string{"node", "--env-file", ".env", "app.js"}, "app.js"},
		{[]string{"node", "--env-file=.env", "--import", "tsx", "-r", "dotenv/config", "app.js"}, "app.js"},
		{[]string{"node", "--title", "svc", "--inspect=0.0.0.0:9229", "--max-old-space-size", "4096", "app.js"}, "app.js"},
		{[]string{"node", "--run", "build"}, ""},
		{[]string{"perl", "-i.bak", "-p", "x.pl", "f"}, "x.pl"},
		{[]string{"perl", "-pie", "s/a/b/", "f"}, "s/a/b/"},
		{[]string{"perl", "-Mstrict", "-C", "x.pl"}, "x.pl"},
		{[]string{"perl", "-l", "-0777", "x.pl"}, "x.pl"},
		{[]string{"python3", "-X", "dev", "-W", "ignore", "x.py"}, "x.py"},
		{[]string{"bash", "-O", "extglob", "-o", "pipefail", "x.sh"}, "x.sh"},
		{[]string{"bash", "--rcfile", "/tmp/rc", "-i"}, "/tmp/rc"},
		{[]string{"bash", "--init-file", "rc", "x.sh"}, "rc + x.sh"},
		{[]string{"awk", "-f", "/tmp/x.awk", "data"}, "/tmp/x.awk"},
		{[]string{"gawk", "-F:", "-v", "x=1", "-f", "a.awk", "-fb.awk", "data"}, "a.awk + b.awk"},
		{[]string{"awk", "--file=x.awk", "data"}, "x.awk"},
		{[]string{"gawk", "--fil=x.awk", "--ex", "y.awk", "data"}, "x.awk + y.awk"},
		{[]string{"sed", "-n", "--fi", "/tmp/x.sed", "data"}, "/tmp/x.sed"},
		{[]string{"awk", "-F", "f", "{ print }", "/tmp/data"}, ""},
		{[]string{"awk", "-v", "f=1", "-e", "BEGIN{}", "data"}, ""},
		{[]string{"sed", "-f", "/tmp/x.sed", "data"}, "/tmp/x.sed"},
		{[]string{"sed", "-nf", "x.sed", "-i.f", "data"}, "x.sed"},
		{[]string{"sed", "-e", "s/f/g/", "-ifoo", "data"}, ""},
		{[]string{"sed", "s/a/b/", "/tmp/data"}, ""},
		{[]string{"grep", "bash", "/tmp/log"}, ""},
		{[]string{"/tmp/tool.sh", "x"}, ""},
	}
	for _, tc := range tests {
		var got []string
		for _, f := range ScriptFiles(filepath.Base(tc.argv[0]), tc.argv[1:]) {
			got = append(got, Within(f.Dir, f.Path))
		}
		if strings.Join(got, " + ") != tc.script {
			t.Errorf("%q: scripts %q; want %q", tc.argv, got, tc.script)
		}
	}
}
