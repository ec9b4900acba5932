package policy

import (
	"path/filepath"
	"testing"
)

// TestScriptOperand: the script a known interpreter runs is its first
// operand past its options and their values; none when an option gives
// the program text or a module, or when it reads standard input; none
// for a program that is no interpreter known here.
func TestScriptOperand(t *testing.T) {
	tests := []struct {
		argv   []string
		script string // "" = none
	}{
		{[]string{"bash", "/tmp/fix.sh"}, "/tmp/fix.sh"},
		{[]string{"/bin/bash", "-eu", "-o", "pipefail", "fix.sh", "-c"}, "fix.sh"},
		{[]string{"bash", "+o", "posix", "--norc", "--rcfile", "rc", "fix.sh"}, "fix.sh"},
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
		{[]string{"perl", "-w", "-I", "lib", "-Mstrict", "x.pl"}, "x.pl"},
		{[]string{"perl", "-ne", "print", "/tmp/log"}, ""},
		{[]string{"perl5.36", "x.pl"}, "x.pl"},
		{[]string{"ruby", "-r", "json", "x.rb"}, "x.rb"},
		{[]string{"ruby", "-e", "puts 1"}, ""},
		{[]string{"node", "--require", "m", "--inspect=9229", "x.js"}, "x.js"},
		{[]string{"node", "--eval", "1"}, ""},
		{[]string{"grep", "bash", "/tmp/log"}, ""},
		{[]string{"/tmp/tool.sh", "x"}, ""},
	}
	for _, tc := range tests {
		got, ok := scriptOperand(filepath.Base(tc.argv[0]), tc.argv[1:])
		if got != tc.script || ok != (tc.script != "") {
			t.Errorf("%q: script %q, %v; want %q", tc.argv, got, ok, tc.script)
		}
	}
}
