package shellword

import "testing"

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
