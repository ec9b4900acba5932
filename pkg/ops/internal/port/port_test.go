package port

import (
	"net/url"
	"strings"
	"testing"
)

// TestParseErrorQuotesNoPieceOfTheURL: a password holding a / ends a
// URL's host before its @, and url.Parse quotes the password's head as a
// port; the error must not repeat it, as masking the whole secret does
// not find a piece of it.
func TestParseErrorQuotesNoPieceOfTheURL(t *testing.T) {
	_, err := url.Parse("http://deploy:hunter2-SECRET/rest@127.0.0.1:8080/api")
	perr := ParseError(err)
	if perr == nil {
		t.Fatalf("ParseError(%v) = nil, want a port error", err)
	}
	if msg := perr.Error(); strings.Contains(msg, "hunter2") || !strings.Contains(msg, "escape the password") {
		t.Errorf("ParseError = %q, want no piece of the URL and the fix", msg)
	}
}
