package cli

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/since"
	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/server"
)

func keysCommand() *command {
	return &command{
		name:     "keys",
		summary:  "make API keys for serve",
		synopsis: "keys new --name NAME --role R... [--expires DATE|DURATION] [--policy FILE]",
		help: `Print a fresh random API key (192 bits, prefixed ak_) on standard output, and
the entry to add to the keys file of serve on standard error, so that
KEY=$(arsenal-run keys new ...) holds the key alone. The key is shown only this
once: the keys file holds only its SHA-256, so store the key where the client
reads it (a CI secret, a vault).
--expires takes a date (2027-06-30), an RFC 3339 time, or a duration from now
(90d, 720h); the server refuses the key from then on.
Each role must be one the policy defines: the built-in policy's, or with
--policy those of the policy file serve is started with.`,
		exits: "0 ok; 1 the key could not be written to standard output (no entry is printed then); 2 bad usage.",
		run:   runKeys,
	}
}

func runKeys(e *env, args []string) int {
	c := keysCommand()
	fs := newFlags(e, c)
	var name, expires string
	var roles listFlag
	fs.StringVar(&name, "name", "", "who the key is for: the `NAME` the audit log will record")
	fs.Var(&roles, "role", "give the key role `R` (repeatable)")
	fs.StringVar(&expires, "expires", "", "refuse the key from `DATE` (2027-06-30), an RFC 3339 time, or a duration from now (90d)")
	policyFile := fs.String("policy", "", "check the roles against the policy `FILE` serve uses, instead of the built-in one")
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	if len(pos) > 0 && pos[0] != "new" {
		return fs.usageError("unknown subcommand %q%s; the command is 'keys new --name NAME --role ROLE'", pos[0], suggest.DidYouMean(pos[0], []string{"new"}))
	}
	if len(pos) == 0 {
		return fs.usageError("the command is 'keys new --name NAME --role ROLE'")
	}
	if len(pos) > 1 {
		msg := fmt.Sprintf("keys new takes no arguments, only flags: unexpected %q", strings.Join(pos[1:], " "))
		if name == "" && len(pos) == 2 {
			// Most likely the key's name, written as 'keys new alice';
			// one that --name would refuse is not offered as the fix.
			if problem := server.CheckKeyName(pos[1]); problem != "" {
				msg += "; to name the key, give --name NAME (" + problem + ")"
			} else {
				msg += fmt.Sprintf("; to name the key, give --name %q", pos[1])
			}
		}
		return fs.usageError("%s", msg)
	}
	if name == "" {
		return fs.usageError("--name is missing: give who the key is for, the name the audit log records, like 'keys new --name ci --role operator'")
	}
	// A role given twice is the key's once.
	var once listFlag
	for _, r := range roles {
		if !slices.Contains(once, r) {
			once = append(once, r)
		}
	}
	roles = once
	if msg := server.CheckKeyName(name); msg != "" {
		return fs.usageError("--name: %s", msg)
	}
	policy := auth.Builtin()
	if *policyFile != "" {
		reg, code := e.registry()
		if reg == nil {
			return code
		}
		defer reg.Close()
		var err error
		if policy, err = auth.LoadPolicy(*policyFile, reg); err != nil {
			fmt.Fprintln(e.stderr, err)
			fmt.Fprintf(e.stderr, "the policy %s has problems; no key was made\n", *policyFile)
			return ExitUsage
		}
	}
	if len(roles) == 0 {
		which := "the built-in policy (no --policy)"
		if policy.File != "" {
			which = "the policy " + policy.File
		}
		return fs.usageError("--role is missing: give the key at least one role, --role R (repeatable); %s defines %s", which, strings.Join(policy.RoleNames(), ", "))
	}
	if msg := unknownRole(policy, roles, ""); msg != "" {
		if *policyFile == "" {
			msg += " (give --policy FILE for the roles of serve's own policy)"
		}
		return fs.usageError("%s", msg)
	}
	key, digest, err := server.NewKey()
	if err != nil {
		e.errorf("cannot make a key: %v", err)
		return ExitFailed
	}
	entry := fmt.Sprintf("{name: %s, sha256: %s, roles: [%s]", yamlScalar(name), digest, strings.Join(quoteAll(roles), ", "))
	if expires != "" {
		t, err := expiryTime(expires, time.Now())
		if err != nil {
			return fs.usageError("--expires %q: %v", expires, err)
		}
		entry += ", expires: " + t.UTC().Format(time.RFC3339)
	}
	entry += "}"
	// The entry must load as it is printed.
	if _, err := server.ParseKeys("the entry", []byte("version: 1\nkeys:\n  - "+entry+"\n")); err != nil {
		return fs.usageError("%v", err)
	}
	// The key alone goes to standard output, so that KEY=$(keys new ...)
	// or > key.txt holds the key and nothing else; the entry for the keys
	// file goes to the person, on standard error.
	if _, err := fmt.Fprintln(e.stdout, key); err != nil {
		// The key is lost: an entry for it would let no one in, and
		// read as if a key had been made.
		fmt.Fprintf(e.stderr, "%s keys: the key could not be written to standard output, so no entry for it is printed; run 'keys new' again where its output can be written\n", program)
		return ExitFailed
	}
	fmt.Fprintf(e.stderr, "# Add this entry under keys: in the keys file, then send SIGHUP to serve.\n# A new keys file starts with these two lines, the entry under them:\n#   version: 1\n#   keys:\n# The key (on standard output) is shown only this once; the file holds only its SHA-256.\n  - %s\n", entry)
	return ExitOK
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = yamlScalar(s)
	}
	return out
}

// yamlScalar writes s for a flow mapping so that YAML reads it back as
// the same string: plain when it does, else double-quoted. Plain true,
// null or 1e3 would read as a bool, a null or a number, which the keys
// file refuses for a name; yes, no, on and off read as strings here, but
// as booleans in YAML 1.1 tools, so they are quoted too.
func yamlScalar(s string) string {
	if s == "" || strings.ContainsAny(s, ":{}[],&*#?|<>=!%@`'\" ") || strings.ContainsAny(s[:1], "-0123456789") ||
		yaml11Bool[strings.ToLower(s)] || !readsAsString(s) {
		return fmt.Sprintf("%q", s)
	}
	return s
}

// yaml11Bool are the words YAML 1.1 reads as booleans besides true and
// false.
var yaml11Bool = map[string]bool{"y": true, "n": true, "yes": true, "no": true, "on": true, "off": true}

// readsAsString tells whether YAML reads the plain scalar s as the string s.
func readsAsString(s string) bool {
	var v any
	if err := yaml.Unmarshal([]byte(s), &v); err != nil {
		return false
	}
	got, ok := v.(string)
	return ok && got == s
}

// expiryTime reads --expires: a date, an RFC 3339 time, or a duration
// from now in days (90d) or Go syntax (720h).
func expiryTime(s string, now time.Time) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			if !t.After(now) {
				return time.Time{}, fmt.Errorf("%s is in the past: the key would be refused from the start; give a later date or a duration like 90d", s)
			}
			return t, nil
		}
	}
	d, err := since.ParseDays(s) // 90d, 1.5d, 2w, 720h, as --since takes them
	if err != nil || d <= 0 {
		return time.Time{}, fmt.Errorf("give a date like 2027-06-30, an RFC 3339 time, or a positive duration like 90d")
	}
	return now.Add(d), nil
}
