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
// line at a time: the secret's token-like runs (a PEM body line, a key's
// value) are masked alone, and its ordinary text is left, as other output
// holds it too.
func TestMaskerMasksEachLineOfAMultiLineSecret(t *testing.T) {
	kubeconfig := "apiVersion: v1\nkind: Config\nusers:\n- name: kubernetes-admin\n  user:\n    token: eyJhbGciOiJSUzI1NiIsImtpZCI6IkFC\n"
	pem := "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"
	mask := Masker([]string{kubeconfig, pem})
	for in, want := range map[string]string{
		"    token: eyJhbGciOiJSUzI1NiIsImtpZCI6IkFC": "    token: ***",
		"MIIEvQIBADANBgkqhkiG9w0BAQEFAASC":            "***",
		"apiVersion: v1":                              "apiVersion: v1",
		"- name: kubernetes-admin":                    "- name: kubernetes-admin",
		"-----BEGIN PRIVATE KEY-----":                 "-----BEGIN PRIVATE KEY-----",
	} {
		if got := mask(in); got != want {
			t.Errorf("mask(%q) = %q, want %q", in, got, want)
		}
	}
}
