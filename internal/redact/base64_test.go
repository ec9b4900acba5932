package redact

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestBase64InsideLongerText checks that a secret is masked in the
// base64 of a longer text holding it, wherever it falls in the text's
// 3-byte groups (user:secret in a Basic auth header, a secret and the
// line break echo adds), in both alphabets, padded or not: all but the
// characters it shares with the text around it.
func TestBase64InsideLongerText(t *testing.T) {
	const secret = "hunter2-SECRETVALUE-9876?>"
	r := New(secret)
	encs := map[string]*base64.Encoding{"std": base64.StdEncoding, "raw": base64.RawStdEncoding, "url": base64.URLEncoding, "rawurl": base64.RawURLEncoding}
	for name, enc := range encs {
		for _, before := range []string{"", "u:", "ab:", "user:", "admin:", `{"token":"`} {
			for _, after := range []string{"", "\n", ":x", `","n":1}`} {
				blob := enc.EncodeToString([]byte(before + secret + after))
				got := r.String("Authorization: Basic " + blob)
				// Of the blob, what encodes the text around the secret
				// is left, and at most a group on each side that mixes
				// both, with padding.
				left := len(got) - len("Authorization: Basic ") - len(Mask)
				most := (len(before)/3+1)*4 + (len(after)/3+2)*4
				if strings.Count(got, Mask) != 1 || left > most {
					t.Errorf("%s of %q+secret+%q: %q is not masked (%d characters left, want at most %d)", name, before, after, got, left, most)
				}
			}
		}
	}
}

// TestBase64WrappedLines checks that the lines of a long secret's
// base64, as base64(1) wraps it at 76 characters and PEM at 64, are
// masked one by one.
func TestBase64WrappedLines(t *testing.T) {
	secret := strings.Repeat("sa-json-key:0123456789/", 8) + "\n"
	r := New(secret)
	b64 := base64.StdEncoding.EncodeToString([]byte(secret))
	for _, n := range []int{76, 64} {
		var lines []string
		for s := b64; s != ""; s = s[min(n, len(s)):] {
			lines = append(lines, s[:min(n, len(s))])
		}
		got := r.String(strings.Join(lines, "\n") + "\n")
		for _, l := range strings.Split(got, "\n") {
			// A last line may end with a character that mixes in
			// padding bits, and the padding.
			if rest := strings.Replace(l, Mask, "", 1); len(rest) > 3 {
				t.Errorf("wrapped at %d: line %q of the secret's base64 is not masked", n, l)
			}
		}
	}
}

// TestShortSecretBase64PiecesLeft: a secret shorter than MinEmbedded is
// masked in its own base64 only, not in pieces of a longer base64 text,
// where its few characters would be found in unrelated base64 too.
func TestShortSecretBase64PiecesLeft(t *testing.T) {
	const secret = "pw9-x7"
	r := New(secret)
	if got := r.String(base64.StdEncoding.EncodeToString([]byte(secret))); got != Mask {
		t.Errorf("the secret's own base64: %q", got)
	}
	text := base64.StdEncoding.EncodeToString([]byte("user:" + secret))
	if got := r.String(text); got != text {
		t.Errorf("a short secret's piece of base64 was masked: %q", got)
	}
}
