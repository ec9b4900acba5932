package redact

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestMaskWrappedBase64AtAnOffset checks that a secret's base64, wrapped
// at 76 as base64(1) writes it, is masked whole, its short last piece
// included, when other bytes come before it in the encoded text: 0, 1, 2
// and 62 bytes, so that it starts in any third of a group and in the
// middle of a line; line by line too, as the live output masks it.
func TestMaskWrappedBase64AtAnOffset(t *testing.T) {
	const secret = "Sup3r-s3cret-t0ken-zz-0123456789-abcdefghijklmnop-qrstuvwxyz-ABCDEFG"
	r := New(secret)
	for _, prefix := range []string{"", "u:", "us:", "user:" + strings.Repeat("x", 57)} {
		enc := base64.StdEncoding.EncodeToString([]byte(prefix + secret + "\n"))
		var lines []string
		for len(enc) > 76 {
			lines, enc = append(lines, enc[:76]), enc[76:]
		}
		text := "Authorization blob:\n" + strings.Join(append(lines, enc), "\n") + "\ndone\n"
		got := r.String(text)
		own := base64.RawStdEncoding.EncodeToString([]byte(secret[(3-len(prefix)%3)%3:]))
		own = own[:len(own)-2] // its last characters mix in the "\n"
		if flat := strings.ReplaceAll(got, "\n", ""); strings.Contains(flat, own[len(own)-6:]) || strings.Contains(flat, own[:6]) {
			t.Errorf("prefix %q: the secret's base64 shows:\n%s\nin\n%s", prefix, got, text)
		}
		if !strings.HasPrefix(got, "Authorization blob:\n") || !strings.HasSuffix(got, "\ndone\n") {
			t.Errorf("prefix %q: the text around it changed:\n%s", prefix, got)
		}
		// The live output masks a line at a time: no 8 characters of
		// the secret's own base64 show there either.
		var byLine []string
		for _, l := range strings.SplitAfter(text, "\n") {
			byLine = append(byLine, r.String(l))
		}
		flat := strings.ReplaceAll(strings.Join(byLine, ""), "\n", "")
		for i := 0; i+8 <= len(own); i++ {
			if strings.Contains(flat, own[i:i+8]) {
				t.Errorf("prefix %q: line by line, %q shows:\n%s", prefix, own[i:i+8], strings.Join(byLine, ""))
				break
			}
		}
	}
}

// TestMaskWrappedBase64ShortTail checks that the last line of a secret's
// wrapped base64 is masked however short: echo "$SECRET" | base64 of a
// secret of 60 bytes ends with a line of its last 4 characters and the
// line break's.
func TestMaskWrappedBase64ShortTail(t *testing.T) {
	secret := "Zq7-" + strings.Repeat("k3y", 18) + "-wX9z"[:2]
	if len(secret) != 60 {
		t.Fatalf("secret of %d bytes", len(secret))
	}
	enc := base64.StdEncoding.EncodeToString([]byte(secret + "\n"))
	text := enc[:76] + "\n" + enc[76:] + "\n"
	tail := enc[76:80]
	got := New(secret).String(text)
	if want := "***\n***Cg==\n"; got != want {
		t.Errorf("masked %q (tail %q) as %q, want %q", text, tail, got, want)
	}
}
