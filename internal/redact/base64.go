package redact

import (
	"encoding/base64"
	"strings"
)

// MinEmbedded is the shortest secret, in bytes, whose base64 is masked
// inside a longer base64 text as well as whole. Such a piece of a
// secret's base64 is shorter than the secret's own: for a shorter
// secret it would be a few characters that other base64 (a hash, a
// certificate) holds by chance.
const MinEmbedded = 8

// base64Forms are the forms of s's base64 that are masked: whole, with
// and without padding, in the standard and the URL alphabet; and, for a
// secret of MinEmbedded bytes or more, the characters that encode its
// bytes alone wherever it falls in a longer text (user:secret in a Basic
// auth header, a secret followed by a line break), and the lines of its
// base64 wrapped as base64(1) and PEM wrap it.
//
// Base64 writes three bytes as four characters, so a secret inside a
// longer text is encoded in one of three ways, as it starts 0, 1 or 2
// bytes after a group's start. Starting 1 byte after, its first 2 bytes
// share a group with the text before; that group's characters mix both,
// and base64 of the secret without those 2 bytes is its encoding from
// there on. Of each such encoding, only the characters whose 6 bits all
// come from the secret are masked: the last one or two mix in the text
// after it.
func base64Forms(s string) []string {
	b := []byte(s)
	out := []string{
		base64.StdEncoding.EncodeToString(b),
		base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b),
		base64.RawURLEncoding.EncodeToString(b),
	}
	if len(b) < MinEmbedded {
		return out
	}
	for skip := range 3 {
		rest := b[skip:]
		own := base64.RawStdEncoding.EncodeToString(rest)[:len(rest)*8/6]
		out = append(out, own, toURLAlphabet(own))
		if skip == 0 {
			out = append(out, wrapped(own, 76)...)
			out = append(out, wrapped(own, 64)...)
		}
	}
	return out
}

// wrapped returns the lines of s cut every n characters, when s is
// longer than n, leaving out a last line shorter than MinEmbedded.
func wrapped(s string, n int) []string { return wrappedAt(s, n, MinEmbedded) }

// wrappedAt is wrapped leaving out a last line shorter than least.
func wrappedAt(s string, n, least int) []string {
	if len(s) <= n {
		return nil
	}
	var out []string
	for ; len(s) >= least; s = s[min(n, len(s)):] {
		out = append(out, s[:min(n, len(s))])
	}
	return out
}

func toURLAlphabet(s string) string {
	return strings.NewReplacer("+", "-", "/", "_").Replace(s)
}
