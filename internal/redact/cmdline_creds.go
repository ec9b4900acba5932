package redact

import (
	"regexp"
	"strings"
)

// CommandLine returns s, a command line as the system shows it, with the
// credentials any program may have been given among its arguments
// masked: the password of a URL (URLPasswords), an arsenal-run API key,
// the console's session cookie, and the value of a credential header
// (Authorization, Cookie, X-Api-Key, ...) written as a client takes it,
// like curl -H "Authorization: Bearer TOKEN", and the value of an argument
// that names a credential (credentialArgs: --password=V, PGPASSWORD=V,
// mysql -pV, curl -u user:V, ?token=V, --env=DB_PASSWORD=V), and of a
// JSON member so named (jsonValues: -d {"password":"V"}), and of a
// string program text assigns to such a name (codeValues: python -c
// token = "V", {'password': 'V'}). A client of the API on the same host
// (curl in a cron job or a CI step) carries a key that a role that may
// only list processes must not read: it is the key's roles. Every other
// byte is kept; s is returned as it is when nothing is masked.
func CommandLine(s string) string {
	s = codeValues(credentialArgs(jsonValues(credentialHeaderValues(apiKeys(URLPasswords(s))))))
	if strings.Contains(s, sessionCookieName+"=") {
		s = sessionCookie.ReplaceAllString(s, "${1}"+Mask)
	}
	return s
}

// sessionCookieName is the name of the console's session cookie (with
// __Host- before it over TLS): its value is a signed-in session, given
// on a command line as curl -b arsenal_session=VALUE.
const sessionCookieName = "arsenal_session"

var sessionCookie = regexp.MustCompile(`(` + sessionCookieName + `=)[^;\s]+`)

// apiKeyLen is the length of a key `arsenal-run keys new` makes: ak_ and
// the base32 (lower case, no padding) of 24 random bytes.
const apiKeyLen = len("ak_") + 39

// apiKeys masks every API key in s that is not part of a longer word (a
// letter or digit either side). It reads s with strings.Index rather than
// a regular expression, which cost microseconds a line.
func apiKeys(s string) string {
	var b strings.Builder
	last, from := 0, 0
	for {
		i := strings.Index(s[from:], "ak_")
		if i < 0 {
			break
		}
		start := from + i
		from = start + 1
		end := start + apiKeyLen
		if end > len(s) || (start > 0 && alnum(s[start-1])) || (end < len(s) && alnum(s[end])) || !base32Lower(s[start+3:end]) {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString("ak_" + Mask)
		last, from = end, end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func alnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func base32Lower(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return true
}

// authSchemes are the words of an Authorization value that name how it
// authenticates rather than what with, lower case: the word after one is
// the credential.
var authSchemes = map[string]bool{
	"basic": true, "bearer": true, "token": true, "digest": true, "negotiate": true, "ntlm": true,
}

// credentialHeaderValues masks the value of each credential header on a
// command line: the word after "Authorization:" (or in the same word, as
// -HAuthorization:TOKEN), the one after its scheme when it names one
// (Bearer, Basic, ...; 'Bearer as a Python dict quotes it), and for a Cookie each word up to the one that
// does not end with ";".
func credentialHeaderValues(s string) string {
	if !strings.Contains(s, ":") {
		return s
	}
	words := wordSpans(s)
	lower := strings.ToLower(s)
	var masks [][2]int // byte ranges of s to mask, in order
	for i := 0; i < len(words); i++ {
		w := lower[words[i][0]:words[i][1]]
		name, at := credentialHeaderIn(w)
		if name == "" {
			continue
		}
		// The value's words: the rest of this one, then those after it,
		// read in place: a line of many headers is not copied for each.
		value := valueWords{rest: words[i+1:]}
		if from := words[i][0] + at; from < words[i][1] {
			value.head = [][2]int{{from, words[i][1]}}
		}
		if value.len() == 0 {
			continue
		}
		first := value.at(0)
		switch {
		case name == "cookie":
			n := 0
			for n < value.len() {
				masks = append(masks, value.at(n))
				n++
				if w := value.at(n - 1); !strings.HasSuffix(s[w[0]:w[1]], ";") {
					break
				}
			}
			i = skipTo(words, value.at(n - 1)[1], i)
		case authSchemes[strings.TrimLeft(lower[first[0]:first[1]], `'"`)] && value.len() > 1:
			masks = append(masks, value.at(1))
			i = skipTo(words, value.at(1)[1], i)
		default:
			masks = append(masks, first)
			i = skipTo(words, first[1], i)
		}
	}
	return maskSpans(s, masks)
}

// valueWords are the words of a header's value: head, the rest of the
// header's own word if any, then rest, the words after it.
type valueWords struct{ head, rest [][2]int }

func (v valueWords) len() int { return len(v.head) + len(v.rest) }

func (v valueWords) at(n int) [2]int {
	if n < len(v.head) {
		return v.head[n]
	}
	return v.rest[n-len(v.head)]
}

// credentialHeaderIn finds a credential header's name and its colon in w,
// a word in lower case: at the start, after curl's -H, or after a
// character that cannot be part of a header name (--header=Cookie:). It
// returns the name and where its value begins in w, or "".
func credentialHeaderIn(w string) (string, int) {
	for name := range credentialHeaders {
		i := strings.Index(w, name+":")
		if i < 0 || (i > 0 && headerNameByte(w[i-1]) && !(i == 2 && w[:2] == "-h")) {
			continue
		}
		return name, i + len(name) + 1
	}
	return "", 0
}

func headerNameByte(c byte) bool {
	return c == '-' || c == '_' || ('a' <= c && c <= 'z') || ('0' <= c && c <= '9')
}

// wordSpans are the byte ranges of the words of s, split at white space.
func wordSpans(s string) [][2]int {
	var out [][2]int
	start := -1
	for i := 0; i < len(s); i++ {
		space := s[i] == ' ' || s[i] == '\t' || s[i] == '\n'
		switch {
		case !space && start < 0:
			start = i
		case space && start >= 0:
			out = append(out, [2]int{start, i})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, [2]int{start, len(s)})
	}
	return out
}

// skipTo is the index of the last word that ends at or before end, so a
// masked value is not read again as a header; at least i.
func skipTo(words [][2]int, end, i int) int {
	for i+1 < len(words) && words[i+1][1] <= end {
		i++
	}
	return i
}
