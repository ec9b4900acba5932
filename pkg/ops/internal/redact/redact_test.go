package redact

import (
	"net/url"
	"testing"
)

func TestURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://example.com/path", "https://example.com/path"},
		{"https://user:pa55@host/?token=abc", "https://user:***@host/?token=***"},
		{"https://user@host/", "https://user@host/"},
		{"http://h/x?page=2&api_key=k&X-Amz-Signature=s&q=a%20b", "http://h/x?page=2&api_key=***&X-Amz-Signature=***&q=a%20b"},
		{"http://h/?access_token=t#frag", "http://h/?access_token=***#frag"},
	}
	for _, tc := range tests {
		if got := URLString(tc.in); got != tc.want {
			t.Errorf("URLString(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestInText(t *testing.T) {
	u, _ := url.Parse("https://bob:hunter2@api.example/v1?token=abc")
	got := InText(`Get "https://bob:hunter2@api.example/v1?token=abc": EOF`, u)
	want := `Get "https://bob:***@api.example/v1?token=***": EOF`
	if got != want {
		t.Errorf("InText = %q, want %q", got, want)
	}
}

func TestMasker(t *testing.T) {
	if Masker(nil) != nil || Masker([]string{""}) != nil {
		t.Error("no secrets should give a nil masker")
	}
	m := Masker([]string{"abc", "abcdef"})
	if got := m("x abcdef abc y"); got != "x *** *** y" {
		t.Errorf("got %q", got)
	}
}
