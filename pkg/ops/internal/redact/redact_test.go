package redact

import (
	"strings"
	"testing"
)

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

// TestMaskerMasksEveryForm checks that a live line shows none of the
// forms of a secret the report masks: its base64 (inside a Basic auth
// header too), hex, URL encoding and shell quoting.
func TestMaskerMasksEveryForm(t *testing.T) {
	const secret = "s3cr3t/Pa ss'x9"
	mask := Masker([]string{secret})
	for line, shown := range map[string]string{
		"czNjcjN0L1BhIHNzJ3g5":                              "czNjcjN0L1Bh", // base64
		"Authorization: Basic dXNlcjpzM2NyM3QvUGEgc3MneDk=": "zM2NyM3Qv",    // of user:secret
		"7333637233742f5061207373277839":                    "7333637233",   // xxd -p
		"q=s3cr3t%2FPa%20ss%27x9":                           "s3cr3t",       // URL encoding
		`+ curl -u 's3cr3t/Pa ss'\''x9'`:                    "s3cr3t",       // set -x
		`s3cr3t/Pa\ ss\'x9`:                                 "s3cr3t",       // printf %q
	} {
		if got := mask(line); strings.Contains(got, shown) {
			t.Errorf("live line %q = %q, shows the secret", line, got)
		}
	}
}
