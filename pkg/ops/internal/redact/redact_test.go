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

// TestMaskerMasksEachLineOfAMultiLineSecret: a program that prints a
// multi-line secret writes it line by line, and live output is masked one
// line at a time; lines shorter than redact.MinLine are left.
func TestMaskerMasksEachLineOfAMultiLineSecret(t *testing.T) {
	mask := Masker([]string{"-----BEGIN KEY-----\nabcdefghijklmnop\nxyz\n-----END KEY-----"})
	for in, want := range map[string]string{
		"abcdefghijklmnop":    "***",
		"-----BEGIN KEY-----": "***",
		"xyz":                 "xyz",
	} {
		if got := mask(in); got != want {
			t.Errorf("mask(%q) = %q, want %q", in, got, want)
		}
	}
}
