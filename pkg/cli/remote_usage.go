package cli

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
)

// remoteSubs are the subcommands of remote, as their first word.
var remoteSubs = []string{"ops", "exec", "run", "runs", "cancel"}

// remoteFlagSubs are the subcommands of remote that read each flag of
// theirs; the other flags are common to all.
var remoteFlagSubs = []struct {
	flag string
	sub  string // as the subcommand is written
}{
	{"category", "ops list"},
	{"param", "exec"}, {"timeout", "exec"},
	{"input", "run"}, {"dry-run", "run"}, {"wait", "run"}, {"follow", "run"}, {"yes", "run"},
	{"playbook", "runs"}, {"status", "runs"}, {"limit", "runs"}, {"since", "runs"},
}

// misplacedFlag says what is wrong with a flag given to a subcommand that
// does not read it, or "": left unread, it would change nothing while the
// command went on (an exec's --dry-run would execute for real, a run's
// --param would start it with the input's default).
func misplacedFlag(fs *flagSet, sub string) string {
	if !contains(remoteSubs, sub) {
		return "" // the subcommand is the mistake
	}
	for _, f := range remoteFlagSubs {
		if first, _, _ := strings.Cut(f.sub, " "); !fs.given(f.flag) || first == sub {
			continue
		}
		written := sub
		if sub == "ops" {
			written = "ops list"
		}
		msg := fmt.Sprintf("--%s is for %s, not %s", f.flag, f.sub, written)
		switch {
		case f.flag == "dry-run" && sub == "exec":
			msg += ": an execute has no dry run, so nothing was sent; run a playbook with 'remote run NAME --dry-run' instead"
		case f.flag == "input" && sub == "exec":
			msg += ": give an operation's params with --param k=v"
		case f.flag == "param" && sub == "run":
			msg += ": give a playbook's inputs with --input k=v"
		case f.flag == "timeout" && sub == "run":
			msg += ": a run's time limit is the timeout: of its playbook"
		}
		return msg
	}
	return ""
}

// remoteSubUsage says what is wrong with the subcommand and its
// arguments, or "" when they are one of those remote runs; args are all
// the words given, flags included.
func remoteSubUsage(fs *flagSet, pos, args []string) string {
	if len(pos) == 0 {
		return "give a subcommand: ops list, exec, run, runs or cancel"
	}
	if (pos[0] == "exec" || pos[0] == "run") && len(pos) > 2 {
		// --input host web-1: the value's word taken for an argument.
		if written, fixed, _, ok := spacedPair(args, pos[2:], "input", "param"); ok {
			return fmt.Sprintf("%s: write %s, name=value as one word", written, fixed)
		}
	}
	switch sub, rest := pos[0], pos[1:]; {
	case sub == "ops" && len(rest) == 1 && rest[0] == "list",
		(sub == "exec" || sub == "run" || sub == "cancel") && len(rest) == 1,
		sub == "runs" && len(rest) == 0:
		return cmp.Or(emptyArg(pos), misplacedFlag(fs, sub))
	case len(pos) == 1 && remoteNeeds[pos[0]] != "":
		// A known subcommand without its argument is not unknown.
		return fmt.Sprintf("%s needs %s: write it as 'remote %s'; %s", pos[0], remoteNeeds[pos[0]], remoteForms[pos[0]], remoteWhere[pos[0]])
	case len(pos) > 2 && remoteNeeds[pos[0]] != "":
		return fmt.Sprintf("%s takes one argument, %s, and was given %d (%s): write it as 'remote %s'", pos[0], remoteNeeds[pos[0]], len(pos)-1, strings.Join(pos[1:], ", "), remoteForms[pos[0]])
	case len(pos) == 1 && pos[0] == "ops":
		return "write it as 'remote ops list'"
	}
	return fmt.Sprintf("unknown or incomplete subcommand %q%s; give ops list, exec OP, run NAME, runs or cancel ID", strings.Join(pos, " "), remoteSubHint(pos))
}

// remoteSubHint names the subcommand a mistyped one was likely meant to
// be, as " (did you mean ...?)", or "" (also for one merely incomplete).
func remoteSubHint(pos []string) string {
	subs := []string{"ops", "exec", "run", "runs", "cancel"}
	switch {
	case len(pos) > 1 && pos[0] == "ops":
		if pos[1] != "list" {
			return suggest.DidYouMean(pos[1], []string{"list"})
		}
		return ""
	case slices.Contains(subs, pos[0]):
		return ""
	}
	if best, ok := suggest.Closest(pos[0], append(subs, "list")); ok {
		if best == "list" {
			best = "ops list"
		}
		return suggest.Hint(best)
	}
	return ""
}

// remoteNeeds is what the subcommands that take an argument need,
// remoteForms how each is written, and remoteWhere where its argument
// is found.
var (
	remoteNeeds = map[string]string{"exec": "the operation to execute", "run": "the name: of a served playbook", "cancel": "the id of the run to cancel"}
	remoteForms = map[string]string{"exec": "exec OP [--param k=v]...", "run": "run NAME [--input k=v]...", "cancel": "cancel RUN_ID"}
	remoteWhere = map[string]string{"exec": "'remote ops list' lists the operations", "run": "a name the server does not serve is answered with those it does",
		"cancel": "'remote runs' lists the runs"}
)
