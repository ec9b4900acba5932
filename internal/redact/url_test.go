package redact

import (
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
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

func TestURLsIn(t *testing.T) {
	in := map[string]any{
		"url":   "https://u:pw@h/x?access_token=t&page=2",
		"plain": "https://h/a%20b?page=2",
		"path":  "https://h/only/a%20path",
		"text":  "token=t in https text",
		"other": "ftp://u:pw@h/?token=t",
		"n":     3,
		"list":  []any{"http://h/?sig=s"},
		"map":   map[string]any{"hook": "http://h/?api_key=k"},
	}
	want := map[string]any{
		"url":   "https://u:***@h/x?access_token=***&page=2",
		"plain": "https://h/a%20b?page=2",
		"path":  "https://h/only/a%20path",
		"text":  "token=t in https text",
		"other": "ftp://u:pw@h/?token=t",
		"n":     3,
		"list":  []any{"http://h/?sig=***"},
		"map":   map[string]any{"hook": "http://h/?api_key=***"},
	}
	if diff := cmp.Diff(want, URLsIn(in)); diff != "" {
		t.Errorf("URLsIn (-want +got):\n%s", diff)
	}
	if in["url"] != "https://u:pw@h/x?access_token=t&page=2" {
		t.Error("URLsIn changed its input")
	}
}

func TestMaskURL(t *testing.T) {
	mask := New("sec ret#1", "pa&ss", "tok&=tail").String
	tests := []struct{ in, want string }{
		// A secret holding an '&' after a credential's name: masked
		// whole, its tail included.
		{"http://h/x?token=tok&=tail", "http://h/x?token=***"},
		{"http://u:tok&=tail@h/x", "http://u:***@h/x"},
		{"http://h/sec ret#1", "http://h/***"},
		{"http://h/x?p=sec+ret%231&token=t", "http://h/x?p=***&token=***"},
		{"http://h/x?p=pa%26ss", "http://h/x?p=***"},
		{"http://h/a%20b?page=2", "http://h/a%20b?page=2"},
	}
	for _, tc := range tests {
		u, err := url.Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := MaskURL(u, mask); got != tc.want {
			t.Errorf("MaskURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	u, _ := url.Parse("http://h/?token=t")
	if got := MaskURL(u, nil); got != "http://h/?token=***" {
		t.Errorf("MaskURL with no mask = %q", got)
	}
}

func TestAllHeadersKeepsOnlyPlainValues(t *testing.T) {
	in := map[string]any{"Accept": "application/json", "content-type": "text/plain", "X-Service-Token": "t0k", "X-Trace": "abc", "Authorization": "Bearer x"}
	want := map[string]any{"Accept": "application/json", "content-type": "text/plain", "X-Service-Token": Mask, "X-Trace": Mask, "Authorization": Mask}
	if diff := cmp.Diff(want, AllHeaders(in)); diff != "" {
		t.Errorf("AllHeaders (-want +got):\n%s", diff)
	}
	if in["X-Trace"] != "abc" {
		t.Errorf("AllHeaders changed its argument: %v", in)
	}
	if diff := cmp.Diff(map[string]any{"DB_PASSWORD": Mask, "PORT": Mask}, Values(map[string]any{"DB_PASSWORD": "pw", "PORT": 8080})); diff != "" {
		t.Errorf("Values (-want +got):\n%s", diff)
	}
}
