package cli

import (
	"flag"
	"strings"
	"sync"
)

// flagOwners are the commands, other than except, that define the flag
// name, as they are written ("run", "remote run"), in the order help lists
// them: an unknown flag is most often one of another command's.
func flagOwners(name, except string) []string {
	ownersOnce.Do(func() { ownersOf = readOwners() })
	var out []string
	for _, o := range ownersOf[name] {
		if first, _, _ := strings.Cut(o, " "); first != except {
			out = append(out, o)
		}
	}
	return out
}

var (
	ownersOnce sync.Once
	ownersOf   map[string][]string // flag name to the commands that define it
)

// readOwners probes every command's flags once (commandFlags stops each
// before it does anything). remote's flags are named with the subcommand
// that reads them, where only one does.
func readOwners() map[string][]string {
	by := map[string][]string{}
	add := func(flag, cmd string) {
		for _, c := range by[flag] {
			if c == cmd {
				return
			}
		}
		by[flag] = append(by[flag], cmd)
	}
	for _, c := range commands() {
		if c.run == nil {
			continue
		}
		subs := []string{""}
		if words, first := subcommands(c.name); first {
			subs = subs[:0]
			for _, w := range words {
				subs = append(subs, w.word)
			}
		}
		for _, sub := range subs {
			fs := commandFlags(c, sub)
			if fs == nil {
				continue
			}
			written := strings.TrimSpace(c.name + " " + sub)
			fs.VisitAll(func(f *flag.Flag) {
				if c.name == "remote" {
					for _, rf := range remoteFlagSubs {
						if rf.flag == f.Name {
							add(f.Name, "remote "+rf.sub)
							return
						}
					}
				}
				add(f.Name, written)
			})
		}
	}
	return by
}

// ownedElsewhere is the end of an unknown flag's message when other
// commands define it: which, and what to do.
func ownedElsewhere(name, cmd string) string {
	owners := flagOwners(name, cmd)
	if len(owners) == 0 {
		return ""
	}
	list := owners[0]
	if len(owners) > 1 {
		list = strings.Join(owners[:len(owners)-1], ", ") + " and " + owners[len(owners)-1]
	}
	if advice := elsewhereAdvice[cmd+" "+name]; advice != "" {
		return ": it is a flag of " + list + "; " + advice
	}
	return ": it is a flag of " + list + ", not of " + cmd + ": leave it out, or give it to the command it belongs to"
}

// elsewhereAdvice says, for a command and another command's flag that
// people give it, what to do instead.
var elsewhereAdvice = map[string]string{
	"validate input":  noInputs("--input"),
	"validate inputs": noInputs("--inputs"),
	"validate param":  noInputs("--param"),
	"validate yes":    "validate asks nothing and runs nothing: leave --yes out",
}

// noInputs is validate's advice for flag, one that gives a run inputs.
func noInputs(flag string) string {
	return "validate checks a playbook without running it and takes no inputs: leave " + flag + " out; to check the inputs too, give them to run with --dry-run (" + program + " run FILE --dry-run --input NAME=VALUE), which refuses bad ones before any step and executes only read operations"
}
