package redact

import "strings"

// credentialArgs masks on a command line the values of the arguments
// that name a credential: a flag whose name ends with password, passwd,
// passphrase, secret, token or apikey (or api-key, secret-key,
// private-key, secret-access-key), with its value after = or as the next
// word (--password=V, --password V, -token V, --db-password=V); a
// variable or parameter so named (PGPASSWORD=V, AWS_SECRET_ACCESS_KEY=V
// in a sh -c line, password=V to vault or ansible -e), also inside an
// argument (pairValues: --env=DB_PASSWORD=V, -d x=1&token=V, --set
// a=1,auth.password=V); a URL's query parameter as URL masks it
// (?token=V, ?key=V, ?sig=V); mysql's -pV; sshpass's -p V; curl's -u
// user:V; httpie's -a user:V; openssl's -passin pass:V; aws configure set
// aws_secret_access_key V; redis-cli's -a V and --pass V; mongo's -p V
// and -pV; a registry login's (docker login, az login) -p V; git config
// [--global] github.token V. A value in quotes is masked up to the
// closing quote, spaces included. It does not mask a value that is only
// a variable's name ($PW, "${PW}"), a flag that says where the credential
// is rather than what (--password-file, --token-env, --no-password,
// --with-token, --password-stdin), a file it is read from
// (--from-file=password=PATH, curl's -F password=@PATH: fileSource), nor
// -p to other programs (ssh's port).
// Its cost with nothing to mask is a pass over the words of s.
func credentialArgs(s string) string {
	var masks [][2]int
	var prog progKind // the program whose short flags are read
	pending := false  // the word before is a flag whose value is the next word
	pendingUser := false
	pendingSkip := false       // git config's flag before takes this word
	ended := false             // the word before ended a command (cmd; next)
	var before, before2 string // the two words before
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
		// aws configure set NAME VALUE, npm config set NAME VALUE
		configSet := before == "set" && (before2 == "configure" || before2 == "config")
		before2, before = before, w
		switch {
		case pending || pendingUser:
			if w[0] != '-' {
				if m, ok := authSpan(s, a, b, pendingUser, prog); ok {
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
		switch {
		case prog == progLoginable && w == "login":
			prog = progLogin
			continue
		case prog == progGit && w == "config":
			prog = progGitConfig
			continue
		case prog == progGitConfig:
			// git config [--global] [set] NAME VALUE
			switch {
			case gitConfigValueFlags[w]:
				pendingSkip = true
			case pendingSkip || w[0] == '-' || w == "set":
				pendingSkip = false
			default:
				pending, prog = credentialName(w), progOther
			}
			continue
		}
		if w[0] == '-' && len(w) > 2 && w[1] != '-' && prog != progOther {
			switch {
			case shortPassword(prog) && prog != progSSHPass && w[1] == 'p' && w[2] == '=':
				a++ // docker login -p=V
				fallthrough
			case shortPassword(prog) && w[1] == 'p':
				if m, ok := valueSpan(s, a+2, false); ok {
					masks, i = append(masks, m), max(i, m[1])
				}
				if prog == progSSHPass {
					prog = progOther
				}
				continue
			case prog == progCurl && w[1] == 'u' || prog == progHTTPie && w[1] == 'a':
				if m, ok := authSpan(s, a+2, b, true, prog); ok {
					masks, i = append(masks, m), max(i, m[1])
				}
				continue
			}
		}
		if prog == progSSHPass && w == "-p" {
			pending, prog = true, progOther // then the program it runs
			continue
		}
		if w == "-p" && (prog == progMongo || prog == progLogin) ||
			prog == progRedis && (w == "-a" || w == "--pass") {
			pending = true
			continue
		}
		if prog == progCurl && (w == "-u" || w == "--user" || w == "-U" || w == "--proxy-user") ||
			prog == progHTTPie && (w == "-a" || w == "--auth") {
			pendingUser = true
			continue
		}
		eq := strings.IndexByte(w, '=')
		switch {
		case eq < 0:
		case prog == progHTTPie && strings.HasPrefix(w, "--auth="):
			if m, ok := authSpan(s, a+len("--auth="), b, true, prog); ok {
				masks, i = append(masks, m), max(i, m[1])
			}
			continue
		case strings.Contains(w, "://") && !credentialName(strings.TrimLeft(w[:eq], "-")):
			masks = queryValues(s, a, b, masks)
			continue
		case fileSource(w, eq, prog):
			continue
		default:
			masks, i = pairValues(s, a, b, masks)
			continue
		}
		if w[0] == '-' {
			name := strings.TrimLeft(w, "-")
			// mysql reads --password only with =: the next word is its database.
			pending = credentialName(name) && !(prog == progMySQL && isPasswordWord(name))
			pending = pending || (prog == progOpenSSL && (name == "pass" || name == "passin" || name == "passout"))
		} else if configSet {
			pending = credentialName(w[strings.LastIndexByte(w, ':')+1:])
		}
	}
	return maskSpans(s, masks)
}

// fileSource tells the argument w, its first = at eq, that names a file
// the credential is read from rather than holding it: kubectl's
// --from-file=password=PATH, curl's -F password=@PATH or <PATH.
func fileSource(w string, eq int, prog progKind) bool {
	if strings.HasPrefix(w, "--from-file=") || strings.HasPrefix(w, "--from-env-file=") {
		return true
	}
	return prog == progCurl && eq+1 < len(w) && (w[eq+1] == '@' || w[eq+1] == '<')
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
	return credentialSpan(s, from, end, user)
}

// credentialSpan is s[from:end], a value, as valueSpan reads it: after
// user what follows the first colon, after pass: what follows it; and
// false when it is not a value to mask.
func credentialSpan(s string, from, end int, user bool) ([2]int, bool) {
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

// authSpan is the span of the password in the user:password that
// begins at from, in the word that ends at b, as valueSpan reads it after
// user; httpie's whole value when it has no colon (its --auth-type=bearer
// token).
func authSpan(s string, from, b int, user bool, prog progKind) ([2]int, bool) {
	if user && prog == progHTTPie && strings.IndexByte(s[from:b], ':') < 0 {
		user = false
	}
	return valueSpan(s, from, user)
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
