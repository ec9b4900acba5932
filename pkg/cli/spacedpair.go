package cli

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/shellword"
)

// spacedPair finds, in args as the command was given them, a name=value
// flag of names (input, param) written with a space for the =, as in
// --input host web-1: the flag took "host" and the parse took web-1 for
// one of extra, the arguments the command has too many of. It returns
// the flag as written and as it should be ("--input host web-1" and
// "--input host=web-1"), and the word taken for an argument; ok is false
// when no flag is written so.
func spacedPair(args, extra []string, names ...string) (written, fixed, word string, ok bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, value, inline := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !slices.Contains(names, name) {
			continue
		}
		next := i + 1
		if !inline {
			if next >= len(args) {
				break
			}
			value, next = args[next], next+1
		}
		if value == "" || strings.Contains(value, "=") || next >= len(args) || !slices.Contains(extra, args[next]) {
			continue
		}
		word = args[next]
		words := make([]string, 0, 3)
		for _, w := range args[i : next+1] {
			words = append(words, shellword.Word(w))
		}
		written = strings.Join(words, " ")
		return written, "--" + name + " " + shellword.Word(value+"="+word), word, true
	}
	return "", "", "", false
}

// playbookCountProblem says what is wrong with pos, the arguments of
// run, which takes exactly one playbook (args are all the words given,
// flags included), or "" when pos is one playbook.
func playbookCountProblem(args, pos []string) string {
	if len(pos) == 1 {
		return ""
	}
	if len(pos) == 0 {
		return "give the playbook to run, like 'run playbooks/hello.yaml'"
	}
	if written, fixed, word, ok := spacedPair(args, pos, "input"); ok {
		return fmt.Sprintf("%s: write %s, name=value as one word (%s was taken for a playbook)", written, fixed, shellword.Word(word))
	}
	for _, p := range pos[1:] {
		if k, _, ok := strings.Cut(p, "="); ok && k != "" && !strings.ContainsAny(k, `/\.`) {
			return fmt.Sprintf("%s is not a playbook: give an input with --input %s", p, p)
		}
	}
	names := make([]string, 0, 3)
	for _, p := range pos[:min(3, len(pos))] {
		names = append(names, shellword.Word(p))
	}
	if len(pos) > 3 {
		names = append(names, fmt.Sprintf("… %d more", len(pos)-3))
	}
	return fmt.Sprintf("run takes one playbook, and was given %d (%s); run each on its own ('validate' checks several at once)", len(pos), strings.Join(names, ", "))
}

// noEquals says how to write kv, given to --flag (input, param) without
// an =: "name: value" and "name:value", as YAML writes it, become
// name=value (but for a URL, https://host); a bare name gets a value to
// fill in.
func noEquals(flag, kv string) string {
	if k, v, ok := strings.Cut(kv, ":"); ok && pairNameRE.MatchString(strings.TrimSpace(k)) && !strings.HasPrefix(v, "//") {
		return fmt.Sprintf("--%s %q: write it as name=value, --%s %s", flag, kv, flag, shellword.Word(strings.TrimSpace(k)+"="+strings.TrimSpace(v)))
	}
	if pairNameRE.MatchString(kv) {
		return fmt.Sprintf("--%s %q: write it as name=value, like --%s %s=VALUE", flag, kv, flag, kv)
	}
	return fmt.Sprintf("--%s %q: write it as name=value", flag, kv)
}

// pairNameRE matches a name an input or a parameter may have.
var pairNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)
