package redact

import "strings"

// MinToken is the shortest run of a multi-line secret masked on its own.
const MinToken = 16

// MinLine is the shortest line of a multi-line secret, or value on such
// a line, masked on its own.
const MinLine = 8

// Tokens returns what of a multi-line secret (a private key, a kubeconfig,
// a service account's JSON, an env file) is masked on its own, as a
// program that prints it writes it line by line, or prints one of its
// values, and the live logs mask line by line:
//   - each run of at least MinToken characters of base64, hex or token
//     text (A-Z, a-z, 0-9, +, /, =, _, -) that holds both a letter and a
//     digit, such as a PEM body line or a token's value;
//   - each line, or the value of a line that has a key (key: value,
//     key=value, "key": "value",), of at least MinLine characters that is
//     neither plain words nor a number: one with a digit, or a sign other
//     than space, "-", "_", ".", ",", ":", ";", quotes, brackets and
//     braces, and with a letter or a sign other than a number's, such as
//     a password on a line of its own or an env file's
//     DB_PASSWORD=Pa$$w0rd.
//
// The other text of its lines ("apiVersion: v1", "name: kubernetes-admin",
// "-----BEGIN PRIVATE KEY-----", "port: 5432", "expires: 2026-12-07",
// "host: 10.0.0.12") is ordinary text that other output holds too: masking
// it would change that output, a count, a date or an address in every
// line that has it.
func Tokens(s string) []string {
	if !strings.Contains(s, "\n") {
		return nil
	}
	var out []string
	isToken := func(c byte) bool {
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=' || c == '_' || c == '-'
	}
	for i := 0; i < len(s); {
		if !isToken(s[i]) {
			i++
			continue
		}
		j, letter, digit := i, false, false
		for ; j < len(s) && isToken(s[j]); j++ {
			c := s[j]
			letter = letter || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
			digit = digit || '0' <= c && c <= '9'
		}
		if j-i >= MinToken && letter && digit {
			out = append(out, s[i:j])
		}
		i = j
	}
	for _, line := range strings.Split(s, "\n") {
		if v := lineValue(line); len(v) >= MinLine && !plainWords(v) && !numeric(v) {
			out = append(out, v)
		}
	}
	return out
}

// lineValue is the value on a line of a multi-line secret: the line
// without the space around it, a YAML list's "- " or a shell's "export ",
// and a key before ": " (or at the line's end) or "=", then without the
// quotes around it and a trailing comma, as JSON and YAML write it.
func lineValue(line string) string {
	v := strings.TrimSpace(line)
	v = strings.TrimPrefix(v, "- ")
	v = strings.TrimPrefix(v, "export ")
	if k := keyEnd(v); k > 0 {
		v = strings.TrimSpace(v[k:])
	}
	v = strings.TrimSuffix(v, ",")
	if n := len(v); n >= 2 && (v[0] == '"' && v[n-1] == '"' || v[0] == '\'' && v[n-1] == '\'') {
		v = v[1 : n-1]
	}
	return v
}

// keyEnd returns where the value starts after a key at the start of v
// (name: , name=, "name": ), or 0 when v starts with none.
func keyEnd(v string) int {
	i, quoted := 0, strings.HasPrefix(v, `"`)
	if quoted {
		i++
	}
	start := i
	for i < len(v) && (isWordByte(v[i]) || v[i] == '.' || v[i] == '-') {
		i++
	}
	if i == start {
		return 0
	}
	if quoted {
		if i == len(v) || v[i] != '"' {
			return 0
		}
		i++
	}
	for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
		i++
	}
	switch {
	case i == len(v):
		return 0
	case v[i] == '=':
		return i + 1
	case v[i] == ':' && (i+1 == len(v) || v[i+1] == ' ' || v[i+1] == '\t'):
		return i + 1
	}
	return 0
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

// plainWords reports whether v is only letters, spaces and the signs of
// prose and structure, text that other output may hold as well.
func plainWords(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || strings.IndexByte(" \t-_.,:;\"'()[]{}", c) >= 0) {
			return false
		}
	}
	return true
}

// numeric reports whether v is a date, a time, a version or an address:
// only digits and the signs these are written with, at least one of
// ".:-/" among them, and no run of more than four digits. Other output
// holds such text too. A plain run of digits (a PIN, an account number,
// `12345678`) is not one: it may be the secret itself.
func numeric(v string) bool {
	seps, run := 0, 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case '0' <= c && c <= '9':
			if run++; run > 4 {
				return false
			}
			continue
		case strings.IndexByte(".:-/", c) >= 0:
			seps++
		case strings.IndexByte(" ,;+_", c) < 0:
			return false
		}
		run = 0
	}
	return seps > 0
}
