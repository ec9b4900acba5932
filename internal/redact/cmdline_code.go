package redact

import "strings"

// codeValues returns s with the credentials that program text on a
// command line assigns masked, as python -c, node -e, ruby -e or a YAML
// body (ansible -e, yq) carries them: a name that names a credential
// (credentialName), bare or in quotes, then =, : or => with blanks either
// side or none, then a string in quotes: token = "V", {'password': 'V'},
// connect(host='db',password='V'), "secret" => "V". The string is masked
// between its quotes. A YAML value that is not in quotes is masked to
// its line's end when the name begins a line (a: 1\npassword: V) and to
// the , or } after it in a flow mapping ({db_password: V}). A value that
// is not in quotes elsewhere (grep password: file, token=os.environ[...])
// is not masked here; credentialArgs reads the arguments it names. s is
// returned as it is when nothing is masked.
func codeValues(s string) string {
	var masks [][2]int
	for p := 0; p < len(s); {
		i := strings.IndexAny(s[p:], "=:")
		if i < 0 {
			break
		}
		i += p
		p = i + 1
		sep := s[i]
		after := i + 1
		switch {
		case sep == '=' && after < len(s) && s[after] == '>':
			after++ // "secret" => "V"
		case sep == '=' && after < len(s) && s[after] == '=',
			sep == '=' && i > 0 && strings.IndexByte("=!<>:", s[i-1]) >= 0,
			sep == ':' && after < len(s) && (s[after] == ':' || s[after] == '='):
			continue // a comparison, httpie's := (pairValues reads them)
		}
		k, kend, line, flow, ok := codeName(s, i)
		if !ok {
			continue
		}
		from := after
		for from < len(s) && (s[from] == ' ' || s[from] == '\t') {
			from++
		}
		var m [2]int
		switch {
		case from < len(s) && (s[from] == '\'' || s[from] == '"'):
			end := quoteEnd(s, from)
			if end < 0 {
				continue
			}
			m, ok = credentialSpan(s, from+1, end, false)
			if ok && isCredentialHeader(s[k:kend]) {
				m, ok = headerValue(s, m)
			}
		case sep == ':' && from > after && (line || flow):
			end := from
			for end < len(s) && s[end] != '\n' && !(flow && (s[end] == ',' || s[end] == '}')) {
				end++
			}
			for end > from && isBlank(s[end-1]) {
				end--
			}
			m, ok = credentialSpan(s, from, end, false)
		default:
			continue
		}
		if ok {
			masks = append(masks, m)
			p = max(p, m[1])
		}
	}
	return maskSpans(s, masks)
}

// codeName reads back from the separator at i the name it assigns to:
// blanks, a closing quote with its opening one, the name's bytes. It
// returns the name's span, whether the name begins a line (after blanks)
// or follows a flow mapping's { or , and whether the name names a
// credential or a credential header.
func codeName(s string, i int) (k, kend int, line, flow, ok bool) {
	kend = i
	for kend > 0 && (s[kend-1] == ' ' || s[kend-1] == '\t') {
		kend--
	}
	var quote byte
	if kend > 0 && (s[kend-1] == '\'' || s[kend-1] == '"') {
		kend--
		quote = s[kend]
	}
	k = kend
	for k > 0 && nameByte(s[k-1]) {
		k--
	}
	if k == kend {
		return 0, 0, false, false, false
	}
	start := k
	if quote != 0 {
		if start == 0 || s[start-1] != quote {
			return 0, 0, false, false, false
		}
		start--
	}
	name := strings.TrimLeft(s[k:kend], "-")
	if !credentialName(name) && !isCredentialHeader(name) {
		return 0, 0, false, false, false
	}
	b := start
	for b > 0 && (s[b-1] == ' ' || s[b-1] == '\t') {
		b--
	}
	line = b > 0 && s[b-1] == '\n'
	flow = b > 0 && (s[b-1] == '{' || s[b-1] == ',')
	return k, kend, line, flow, true
}

// isCredentialHeader tells a credential header's name, in any case,
// without the copy strings.ToLower makes of one with capitals.
func isCredentialHeader(name string) bool {
	for h := range credentialHeaders {
		if strings.EqualFold(name, h) {
			return true
		}
	}
	return false
}

// quoteEnd is the index of the quote that closes the one at from, past
// backslashed ones, or -1 when none does.
func quoteEnd(s string, from int) int {
	for i := from + 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case s[from]:
			return i
		}
	}
	return -1
}

// headerValue is the part of a credential header's value m to mask: what
// follows its scheme (Bearer, Basic, ...) when it names one.
func headerValue(s string, m [2]int) ([2]int, bool) {
	v := s[m[0]:m[1]]
	if sp := strings.IndexByte(v, ' '); sp > 0 && authSchemes[strings.ToLower(v[:sp])] {
		return credentialSpan(s, m[0]+sp+1, m[1], false)
	}
	return m, true
}
