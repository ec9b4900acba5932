package runs

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// AimWarning is the warning, for a server about to serve pb, that a caller
// of the API may choose where pb's runs connect while they hold a secret
// the caller may not give: an input no enum, min, max or pattern bounds
// is the address an operation connects to (in pb or a sub-playbook it
// passes the input to), and a run in env holds one of pb's secret inputs
// (from env, a file or a default), a variable of env an expression reads,
// an operation's secret output, or a secret of such a sub-playbook. Such a
// run is refused that step (checkAimedInputs). The warning is one line, at
// the position in pb that aims the first such input; "" when pb has no
// such shape.
func AimWarning(reg *ops.Registry, pb *steps.Playbook, env Env) string {
	if pb == nil || pb.AbsFile == "" {
		return ""
	}
	var free []string
	for _, in := range pb.Inputs {
		if in.Constraint.IsZero() {
			free = append(free, in.Name)
		}
	}
	if len(free) == 0 {
		return ""
	}
	data, err := os.ReadFile(pb.AbsFile)
	sum := sha256.Sum256(data)
	if err != nil || hex.EncodeToString(sum[:]) != pb.SHA256 {
		return ""
	}
	a := auth.AimOf(reg, pb.AbsFile, data, free)
	var aimed []string
	for _, name := range free {
		if _, ok := a.Uses[name]; ok {
			aimed = append(aimed, name)
		}
	}
	if len(aimed) == 0 {
		return ""
	}
	var secrets []string
	for _, in := range pb.Inputs {
		if _, ok := a.Uses[in.Name]; ok || !in.Secret {
			continue
		}
		if in.FromFile != "" || in.Default != nil && in.Default != "" || in.Env != "" && lookupSet(env, in.Env) {
			secrets = append(secrets, "secret input "+in.Name)
		}
	}
	secrets = append(secrets, heldSecrets(a.Held, env, pb.File)...)
	if len(secrets) == 0 {
		return ""
	}
	first, u := aimed[0], a.Uses[aimed[0]]
	others := ""
	if len(aimed) > 1 {
		others = fmt.Sprintf(" (and so is input %s)", strings.Join(aimed[1:], ", "))
		if len(aimed) > 2 {
			others = fmt.Sprintf(" (and so are inputs %s)", andList(aimed[1:]))
		}
	}
	where := u.Where
	if u.File != "" {
		where += fmt.Sprintf(", %s:%d:%d", aimFile(pb.File, u.File), u.Line, u.Col)
	}
	return fmt.Sprintf("%s:%d:%d: playbook %s: input %s, which an API caller may set to any value, is %s%s (%s)%s, while its runs hold %s; a run whose caller sets %s and does not give those secrets is refused that step (403), so that the caller cannot send them elsewhere: bound %s in the playbook with an enum or a pattern (like pattern: \"^https://hooks\\\\.example\\\\.com/\")",
		pb.File, u.AtLine, u.AtCol, pb.Name, first, u.Leads(), u.Via, where, others, andList(secrets), first, first)
}

// lookupSet says whether env has name with a value.
func lookupSet(env Env, name string) bool {
	if env == nil {
		return false
	}
	v, ok := env.LookupEnv(name)
	return ok && v != ""
}
