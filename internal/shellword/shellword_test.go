package shellword

import (
	"regexp"
	"testing"
)

func TestWord(t *testing.T) {
	for in, want := range map[string]string{
		"/var/lib/app": "/var/lib/app",
		"user@host:22": "user@host:22",
		"":             "''",
		"/srv/my data": "'/srv/my data'",
		"it's":         `'it'\''s'`,
		"$(rm -rf ~)":  "'$(rm -rf ~)'",
		"a;b":          "'a;b'",
		"/tmp/x\ny":    "'/tmp/x\ny'",
	} {
		if got := Word(in); got != want {
			t.Errorf("Word(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestIsNameAndAssignment(t *testing.T) {
	re := regexp.MustCompile(NamePattern)
	for _, name := range []string{"PATH", "_", "_x1", "a_B9", "", "1A", "A-B", "A.B", "A/B", "A B", "é", "A\x00", "9"} {
		if IsName(name) != re.MatchString(name) {
			t.Errorf("IsName(%q) = %v, NamePattern says %v", name, IsName(name), re.MatchString(name))
		}
	}
	for word, want := range map[string]bool{
		"PATH=/usr/bin": true,
		"A=":            true,
		"A==b":          true,
		"_x=a b":        true,
		"=x":            false,
		"A":             false,
		"1A=x":          false,
		"A-B=x":         false,
		"/opt/a=b/run":  false,
		"./a=b":         false,
	} {
		if got := IsAssignment(word); got != want {
			t.Errorf("IsAssignment(%q) = %v, want %v", word, got, want)
		}
	}
}
