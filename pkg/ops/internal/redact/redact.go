// Package redact hides the values a run marks secret in text the ops
// return. The credentials that URLs carry are masked by the module-wide
// internal/redact package, which traces and the audit log use as well.
package redact

import (
	"sort"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/redact"
)

// Mask is what a hidden value is replaced with.
const Mask = "***"

// Masker returns a function that replaces every non-empty secret in a string
// with Mask, longest secrets first so that one secret containing another is
// hidden whole. With no secrets it returns nil, so callers can skip the work.
func Masker(secrets []string) func(string) string {
	var s []string
	for _, v := range secrets {
		if v != "" {
			s = append(s, v)
			s = append(s, redact.Tokens(v)...)
		}
	}
	if len(s) == 0 {
		return nil
	}
	sort.Slice(s, func(i, j int) bool { return len(s[i]) > len(s[j]) })
	pairs := make([]string, 0, 2*len(s))
	for _, v := range s {
		pairs = append(pairs, v, Mask)
	}
	return strings.NewReplacer(pairs...).Replace
}

// Text returns s with every secret masked in every form the run's writers
// mask (see internal/redact), for text an op cuts before it returns it:
// masked only after the cut, a secret crossing it would keep its head or
// tail in clear.
func Text(secrets []string, s string) string {
	if len(secrets) == 0 || s == "" {
		return s
	}
	return redact.New(secrets...).String(s)
}
