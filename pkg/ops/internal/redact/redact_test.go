package redact

import "testing"

func TestMasker(t *testing.T) {
	if Masker(nil) != nil || Masker([]string{""}) != nil {
		t.Error("no secrets should give a nil masker")
	}
	m := Masker([]string{"abc", "abcdef"})
	if got := m("x abcdef abc y"); got != "x *** *** y" {
		t.Errorf("got %q", got)
	}
}
