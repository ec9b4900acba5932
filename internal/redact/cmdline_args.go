package redact

import "strings"

// credentialArgs masks on a command line the values of the arguments
// that name a credential: a flag whose name ends with password, passwd,
// passphrase, secret, token or apikey (or api-key, secret-key,
// private-key, secret-access-key), with its value after = or as the next
// word (--password=V, --password V, -token V, --db-password=V); a
// variable or parameter so named (PGPASSWORD=V, AWS_SECRET_ACCESS_KEY=V
// in a sh -c line, password=V to vault or ansible -e), and a URL's query
// parameter as URL masks it (?token=V, ?key=V, ?sig=V); mysql's -pV; sshpass's -p V; curl's -u user:V;
// openssl's -passin pass:V. A value in quotes is masked up to the
// closing quote, spaces included. It does not mask a value that is only
// a variable's name ($PW, "${PW}"), a flag that says where the credential
// is rather than what (--password-file, --token-env, --no-password,
// --with-token, --password-stdin), nor -p to other programs (ssh's port).
// Its cost with nothing to mask is a pass over the words of s.
func credentialArgs(s string) string {
	var masks [][2]int
	var prog progKind // the program whose short flags are read
	pending := false  // the word before is a flag whose value is the next word
	pendingUser := false
	ended := false // the word before ended a command (cmd; next)
	for i := 0; i < len(s); {
		a, b := nextWord(s, i)
		if a < 0 {
			break
		}
		i = b
		w := s[a:b]
		if ended {
			prog = progOther // the next command's flags are its own
		}
		ended = w[len(w)-1] == ';' || w == "&&" || w == "||" || w == "|"
		switch {
		case pending || pendingUser:
			if w[0] != '-' {
				if m, ok := valueSpan(s, a, pendingUser); ok {
					masks, i = append(masks, m), max(i, m[1])
				}
			}
			pending, pendingUser = false, false
			continue
		}
		if k := progOf(w); k != progOther {
			prog = k
			continue
		}
		if w[0] == '-' && len(w) > 2 && w[1] != '-' && prog != progOther {
			switch {
			case (prog == progMySQL || prog == progSSHPass) && w[1] == 'p':
				if m, ok := valueSpan(s, a+2, false); ok {
					masks, i = append(masks, m), max(i, m[1])
				}
				if prog == progSSHPass {
					prog = progOther
				}
				continue
			case prog == progCurl && w[1] == 'u':
				if m, ok := valueSpan(s, a+2, true); ok {
					masks, i = append(masks, m), max(i, m[1])
				}
				continue
			}
		}
		if prog == progSSHPass && w == "-p" {
			pending, prog = true, progOther // then the program it runs
			continue
		}
		if prog == progCurl && (w == "-u" || w == "--user" || w == "-U" || w == "--proxy-user") {
			pendingUser = true
			continue
		}
		if eq := strings.IndexByte(w, '='); eq > 0 {
			if credentialName(strings.TrimLeft(w[:eq], "-")) {
				if m, ok := valueSpan(s, a+eq+1, false); ok {
					masks, i = append(masks, m), max(i, m[1])
				}
				continue
			}
		}
		if strings.Contains(w, "://") {
			masks = queryValues(s, a, b, masks)
			continue
		}
		if w[0] == '-' && strings.IndexByte(w, '=') < 0 {
			name := strings.TrimLeft(w, "-")
			// mysql reads --password only with =: the next word is its database.
			pending = credentialName(name) && !(prog == progMySQL && isPasswordWord(name))
			pending = pending || (prog == progOpenSSL && (name == "pass" || name == "passin" || name == "passout"))
		}
	}
	if len(masks) == 0 {
		return s
	}
	var out strings.Builder
	out.Grow(len(s))
	last := 0
	for _, m := range masks {
		out.WriteString(s[last:m[0]])
		out.WriteString(Mask)
		last = m[1]
	}
	out.WriteString(s[last:])
	return out.String()
}

// nextWord is the span of the first word of s at or after i, or -1.
func nextWord(s string, i int) (int, int) {
	for i < len(s) && isBlank(s[i]) {
		i++
	}
	if i == len(s) {
		return -1, -1
	}
	a := i
	for i < len(s) && !isBlank(s[i]) {
		i++
	}
	return a, i
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\n' }

// valueSpan is the span of the value that begins at from: to the closing
// quote when it opens with one, else to the end of the word. After
// user (curl's -u user:password) it is what follows the first colon. It
// is not a value to mask when empty, when it is only a variable's name,
// or when it is an openssl source other than pass: (env:, file:, fd:).
func valueSpan(s string, from int, user bool) ([2]int, bool) {
	end := from
	if from < len(s) && (s[from] == '\'' || s[from] == '"') {
		if q := strings.IndexByte(s[from+1:], s[from]); q >= 0 {
			end = from + 1 + q + 1
		} else {
			end = len(s)
		}
	}
	for end < len(s) && !isBlank(s[end]) {
		end++
	}
	v := s[from:end]
	if user {
		c := strings.IndexByte(v, ':')
		if c < 0 {
			return [2]int{}, false // no password: curl asks for it
		}
		from += c + 1
		v = s[from:end]
	}
	if strings.HasPrefix(v, "pass:") {
		from += len("pass:")
		v = s[from:end]
	}
	if v == "" || v == Mask || v == "ak_"+Mask || notCredential(v) {
		return [2]int{}, false
	}
	return [2]int{from, end}, true
}

// notCredential tells a value that says where the credential is from one
// that is it: a variable's name ($PW, ${PW}, "$PW"), openssl's env:PW,
// file:/path, fd:3, and a BuildKit secret's id=NAME,src=/path.
func notCredential(v string) bool {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	for _, p := range []string{"env:", "file:", "fd:", "id="} {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	if !strings.HasPrefix(v, "$") {
		return false
	}
	v = v[1:]
	if strings.HasPrefix(v, "{") && strings.HasSuffix(v, "}") {
		v = v[1 : len(v)-1]
	}
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// queryValues adds to masks the values of the query parameters of the
// URL in s[a:b] whose names look like a credential's (SensitiveParam, as
// the audit line masks a URL's).
func queryValues(s string, a, b int, masks [][2]int) [][2]int {
	q := strings.IndexByte(s[a:b], '?')
	if q < 0 {
		return masks
	}
	end := b
	if h := strings.IndexByte(s[a+q:b], '#'); h >= 0 {
		end = a + q + h
	}
	for p := a + q + 1; p < end; {
		amp := strings.IndexByte(s[p:end], '&')
		stop := end
		if amp >= 0 {
			stop = p + amp
		}
		if eq := strings.IndexByte(s[p:stop], '='); eq > 0 && stop > p+eq+1 && SensitiveParam(s[p:p+eq]) {
			masks = append(masks, [2]int{p + eq + 1, stop})
		}
		p = stop + 1
	}
	return masks
}
