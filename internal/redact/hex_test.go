package redact

import (
	"encoding/hex"
	"strings"
	"testing"
)

// TestHexMasked checks that a secret's hex is masked as xxd -p writes
// it, in lower case and (xxd -p -u) upper case, inside a longer text
// (user:secret), and line by line when xxd -p wraps it at 60 digits.
func TestHexMasked(t *testing.T) {
	const secret = "hunter2-SECRETVALUE-9876?>"
	r := New(secret)
	lower := hex.EncodeToString([]byte(secret))
	for _, in := range []string{
		lower,
		strings.ToUpper(lower),
		hex.EncodeToString([]byte("admin:" + secret + "\n")),
		strings.ToUpper(hex.EncodeToString([]byte("u:" + secret))),
	} {
		if got := r.String(in); strings.Contains(got, lower[4:20]) || strings.Contains(got, strings.ToUpper(lower[4:20])) {
			t.Errorf("String(%q) = %q, shows the secret's hex", in, got)
		}
	}
	long := strings.Repeat("sa-json-key:0123456789/", 5) // 230 digits: 4 lines
	r = New(long)
	dump := hex.EncodeToString([]byte(long))
	for i := 0; i < len(dump); i += 60 {
		line := dump[i:min(i+60, len(dump))]
		if got := r.String(line); got != Mask {
			t.Errorf("xxd -p line %q = %q, want %q", line, got, Mask)
		}
	}
}

// TestShortSecretHexNotMasked checks that the hex of a secret shorter
// than MinEmbedded is left: a few digits other hex holds by chance.
func TestShortSecretHexNotMasked(t *testing.T) {
	const sum = "sha256 3a0b1c2d7e" // hex of "1234567" is 31323334353637
	if got := New("1234567").String(sum + " 31323334353637"); got != sum+" 31323334353637" {
		t.Errorf("got %q", got)
	}
}

// TestLowerCasePercentEncoding checks that a secret percent-encoded with
// lower-case hex digits (%2f, as JavaScript, PHP and shell urlencode
// functions may write it) is masked, as the upper-case form is.
func TestLowerCasePercentEncoding(t *testing.T) {
	r := New("s3cr3t/Pa ss!x")
	for _, in := range []string{"s3cr3t%2fPa%20ss%21x", "s3cr3t/Pa%20ss%21x", "s3cr3t%2fPa+ss%21x", "q=s3cr3t%2fPa%20ss!x&n=1"} {
		if got := r.String(in); strings.Contains(got, "s3cr3t") {
			t.Errorf("String(%q) = %q, shows the secret", in, got)
		}
	}
	// The secret's own letters keep their case: another text is left.
	if got := r.String("S3CR3T%2fPA%20SS%21X"); got != "S3CR3T%2fPA%20SS%21X" {
		t.Errorf("a different text was masked: %q", got)
	}
}
