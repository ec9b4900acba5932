package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

func validateCommand() *command {
	return &command{
		name:     "validate",
		summary:  "check playbooks without running them",
		synopsis: "validate PLAYBOOK|DIR... [--role R]... [--policy FILE] [--plugins DIR] [--inventory FILE] [--format text|json|github]\nvalidate --policy FILE [--format text|json|github]",
		help: `Check playbooks without running anything: the YAML, every key, the step graph,
every expression, the parameters of every operation and the schedule. Every
problem is printed to stderr as file:line:column: message, sorted by position.
A directory stands for the *.yaml and *.yml files in it, as schedule and serve
read it: a hidden file (.#deploy.yaml, an editor's lock), a sub-directory, and
an inventory, policy, keys file or cluster.* node list there are left out,
each on a skip line (an inventory's, policy's or keys file's naming the flag
that takes it), and two playbooks of one name in a directory are a problem,
as serve and schedule refuse them.

A playbook.run step with a literal path inside the playbook's directory tree
is followed: the sub-playbook must validate, and a chain of them that leads
back to itself, or holds more than 8 playbooks, is reported at the step that
goes too far, as the run would fail there. The literal inventory: file of a
cluster.* step there is parsed too. Paths given by an expression are left to
the run.

With --role, --policy or $ARSENAL_ROLES set, each valid playbook is also checked
against the authorization policy: one line per step says allowed or DENIED and
the rule that decided. Roles come from --role, else $ARSENAL_ROLES
(comma-separated), else operator; without --policy the built-in policy applies
(viewer: read ops, operator: read and write, admin: all). When steps are
allowed through a policy grant, the runbook's inputs are listed too: those a
caller may set under the grant, with the rule that bounds them, and those
LOCKED (no rule constrains them), which keep their defaults. With --policy
and no playbook, the policy alone is checked, as serve and schedule read it
at start and on SIGHUP.

With --inventory, every inventory.hosts("group") with a literal name must name a
group, host or tag:NAME of the inventory, and authorization checks the literal
host of ssh.* steps against the roles' hosts: by its groups and tags.

--format json prints one JSON document on stdout instead ('arsenal-run schema
validate' prints its schema): every file with its status, every problem and
warning with file, line, column, severity and message, a usage error too (the
one problem, without a file). --format github prints
each problem as a GitHub Actions workflow command (::error file=F,line=L,col=C::
MESSAGE, ::warning ...), annotating the lines in a pull request, and a usage
error as ::error::MESSAGE. The exit codes do not change with the format.`,
		exits: "0 all valid (and allowed); 2 a playbook or the policy has problems, or bad usage; 3 a step is denied.",
		run:   runValidate,
	}
}

func runValidate(e *env, args []string) int {
	c := validateCommand()
	fs := newFlags(e, c)
	var roles listFlag
	fs.Var(&roles, "role", "check authorization for role `R` (repeatable)")
	policyFile := fs.String("policy", "", "read roles from the policy `FILE`")
	e.addPluginsFlag(fs.FlagSet)
	invFile := fs.String("inventory", "", "check inventory.hosts() names and ssh.* hosts against the inventory `FILE`")
	format := fs.String("format", "text", "print problems as `FORMAT`: "+strings.Join(validateFormats, ", "))
	if f := formatAsked(args); f == "json" || f == "github" {
		// A tool that reads the document gets one for a usage error
		// too, and GitHub an annotation.
		fs.onUsage = func(msg string) int {
			v := &validation{e: e, format: f, doc: &validateDoc{}}
			return v.usageError(c, msg)
		}
	}
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	*format = formatName(*format, validateFormats)
	if !contains(validateFormats, *format) {
		return fs.usageError("unknown format %q%s; use one of %s", *format, suggest.DidYouMean(*format, validateFormats), strings.Join(validateFormats, ", "))
	}
	if len(pos) == 0 && *policyFile == "" {
		return fs.usageError("give at least one playbook, like 'validate playbooks/hello.yaml', or --policy FILE to check a policy alone")
	}
	v := &validation{e: e, out: e.paletteFor(e.stdout), format: *format, doc: &validateDoc{}}
	reg, code := v.registry()
	if reg == nil {
		return code
	}
	defer reg.Close()
	v.reg = reg
	if len(pos) == 0 {
		return v.finish(v.checkPolicyAlone(*policyFile))
	}
	if *invFile != "" {
		inv, err := inventory.Load(*invFile)
		if err != nil {
			v.report(*invFile, err)
			v.note("the inventory %s has problems; nothing was validated", *invFile)
			return v.finish(ExitUsage)
		}
		v.inv = inv
	}
	from, err := envRoles(e, &roles)
	if err != nil {
		return fs.usageError("%v", err)
	}
	if len(roles) > 0 || *policyFile != "" {
		if code, ok := v.setupAuth(c, roles, from, *policyFile); !ok {
			return code
		}
	}
	for _, f := range v.expand(pos) {
		v.check(f)
	}
	return v.finish(v.summary())
}

// registry is e.registry with the plugins' problems reported in the
// format asked: a tool reading --format json gets its document, GitHub
// an annotation at the manifest's line.
func (v *validation) registry() (*ops.Registry, int) {
	if v.format == "text" {
		return v.e.registry()
	}
	r, err := v.e.newRegistry()
	if err != nil {
		v.problem(validateProblem{Severity: "error", Message: "cannot set up the operations: " + err.Error()})
		return nil, v.finish(ExitFailed)
	}
	hint, err := v.e.addPlugins(r)
	if err == nil {
		return r, ExitOK
	}
	r.Close()
	dir, _ := v.e.pluginDir()
	v.report(dir, err)
	if hint != "" {
		v.note("%s", hint)
	}
	return nil, v.finish(ExitUsage)
}

// checkPolicyAlone is `validate --policy FILE` without playbooks: an admin
// who edits the policy checks it before a reload, whatever playbooks it
// will meet.
func (v *validation) checkPolicyAlone(file string) int {
	p, err := auth.LoadPolicy(file, v.reg)
	if err != nil {
		v.report(file, err)
		v.note("the policy %s has problems", file)
		v.fileDone(validateFile{File: file, Status: "invalid"})
		return ExitUsage
	}
	v.diagnostics(p.Warnings)
	v.fileDone(validateFile{File: file, Status: "ok"})
	if v.format != "json" {
		fmt.Fprintf(v.e.stdout, "%s: ok, roles %s\n", file, strings.Join(p.RoleNames(), ", "))
	}
	return ExitOK
}

// validation checks a list of playbooks and keeps the tally.
type validation struct {
	e      *env
	reg    *ops.Registry
	out    palette
	policy *auth.Policy // nil: authorization is not checked
	// policyFile names the policy's file; "": the built-in policy.
	policyFile string
	roles      []string
	inv        *inventory.Inventory // nil: inventory.hosts names are not checked
	format     string               // one of validateFormats
	doc        *validateDoc         // what --format json prints

	// dirOf is the directory argument each file of one was listed from;
	// names are the playbooks of each such directory by name, the first
	// of each name: serve --playbooks and schedule refuse a name twice.
	dirOf map[string]string
	names map[string]map[string]*steps.Playbook

	total     int // playbooks checked
	bad, errs int // playbooks with problems, their problems
	// dirsBad says, for each directory given that brought no playbook,
	// why: none in it, or it cannot be listed. Each is one error, not a
	// playbook's.
	dirsBad         []string
	denied, nDenied int // playbooks with denied steps, denied steps
}

// setupAuth loads the policy and checks the roles before any playbook, so
// that a typo in a role is one clear error rather than one per file.
func (v *validation) setupAuth(c *command, roles []string, from, policyFile string) (int, bool) {
	v.policy = auth.Builtin()
	if policyFile != "" {
		p, err := auth.LoadPolicy(policyFile, v.reg)
		if err != nil {
			v.report(policyFile, err)
			v.note("the policy %s has problems; nothing was validated", policyFile)
			return v.finish(ExitUsage), false
		}
		v.diagnostics(p.Warnings)
		v.policy, v.policyFile = p, policyFile
	}
	if len(roles) == 0 {
		roles = []string{auth.DefaultRole}
	}
	if msg := unknownRole(v.policy, roles, from); msg != "" {
		return v.usageError(c, msg), false
	}
	v.roles = roles
	return 0, true
}

// expand replaces each directory by the playbooks in it, as schedule and
// serve read it (steps.DirPlaybooks): arsenal-run's other files there are
// left out, each said on a line of its own. A directory without any
// playbook is a problem.
//
// A file reached twice (a directory and a file of it, playbooks and
// playbooks/) is checked once, under the name it was first reached by: a
// second check would only repeat its problems, and call it a playbook of
// its own name to rename. A link is another entry, as serve reads it.
func (v *validation) expand(paths []string) []string {
	var out []string
	seen := map[string]string{} // absolute path to the name in out
	seenDir := map[string]bool{}
	add := func(f, dir string) {
		key, err := filepath.Abs(f)
		if err != nil {
			key = filepath.Clean(f)
		}
		name, dup := seen[key]
		if !dup {
			seen[key], name = f, f
			out = append(out, f)
		}
		if dir != "" {
			if v.dirOf == nil {
				v.dirOf = map[string]string{}
			}
			v.dirOf[name] = dir
		}
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil || !st.IsDir() {
			add(p, "") // the loader reports a missing file
			continue
		}
		if abs, err := filepath.Abs(p); err == nil {
			if seenDir[abs] {
				continue
			}
			seenDir[abs] = true
		}
		found, left, err := steps.DirPlaybooks(p)
		if err != nil {
			v.problemf(p, "cannot list the playbooks: %v", err)
			v.fileDone(validateFile{File: p, Status: "invalid"})
			v.dirsBad = append(v.dirsBad, "cannot list "+p)
			continue
		}
		for _, l := range left {
			v.fileDone(validateFile{File: l.File, Status: "skipped", Reason: l.Why})
			if v.format != "json" {
				fmt.Fprintf(v.e.stdout, "%s  %s: %s\n", v.out.dim("skip"), l.File, l.Why)
			}
		}
		if len(found) == 0 {
			v.problemf(p, "no playbooks (*.yaml, *.yml) in this directory%s", noPlaybooksHint(p))
			v.fileDone(validateFile{File: p, Status: "invalid"})
			v.dirsBad = append(v.dirsBad, "no playbooks in "+p)
			continue
		}
		for _, f := range found {
			add(f, p)
		}
	}
	return out
}

// check validates one playbook and, when asked, authorizes its steps.
func (v *validation) check(file string) {
	v.total++
	// A cache: the policy refuses fails every run before it starts, so
	// it is a problem of the file, with or without --role, reported with
	// its other problems.
	cachePolicy := v.policy
	if cachePolicy == nil {
		cachePolicy = auth.Builtin()
	}
	pb, err := steps.Load(file, v.reg, steps.WithInventory(v.inv), cachePolicy.CacheCheck(), steps.WithSubChainCheck())
	if err != nil {
		v.bad++
		var ds steps.Diagnostics
		if errors.As(err, &ds) {
			v.errs += ds.Errors()
		} else {
			v.errs++
		}
		v.report(file, err)
		v.fileDone(validateFile{File: file, Status: "invalid"})
		return
	}
	v.diagnostics(pb.Warnings)
	if !v.nameOfItsOwn(file, pb) {
		v.fileDone(validateFile{File: file, Status: "invalid"})
		return
	}
	n := len(pb.AllSteps())
	vf := validateFile{File: file, Status: "ok", Steps: &n}
	if v.policy == nil {
		v.headLine(file, n, 0)
		v.fileDone(vf)
		return
	}
	decisions, err := v.policy.Preflight(v.roles, pb, v.reg, auth.WithInventory(v.inv))
	if err != nil {
		v.bad++
		v.errs++
		v.problemf(file, "authorization: %v", err)
		vf.Status = "invalid"
		v.fileDone(vf)
		return
	}
	// The file's line comes once its steps are judged: a file a CI job
	// fails on with exit 3 is not "ok".
	v.headLine(file, n, len(auth.Denied(decisions)))
	vf.Decisions = v.decided(file, pb, decisions)
	if len(auth.Denied(decisions)) > 0 {
		vf.Status = "denied"
	}
	v.fileDone(vf)
	if v.format == "json" {
		if d := len(auth.Denied(decisions)); d > 0 {
			v.denied++
			v.nDenied += d
		}
		return
	}
	writeDecisions(v.e.stdout, v.out, termWidth(v.e.stdout), decisions)
	if auth.UsesGrant(decisions) {
		// Which inputs a caller may set under the grant, and which keep
		// their defaults.
		if s, err := v.policy.Subject(v.roles, pb); err == nil {
			fmt.Fprint(v.e.stdout, strings.ReplaceAll(auth.FormatGrantInputs(s), "LOCKED", v.out.yellow("LOCKED")))
		}
	}
	if d := len(auth.Denied(decisions)); d > 0 {
		v.denied++
		v.nDenied += d
		fmt.Fprint(v.e.stdout, whoCan(rolesAllowing(v.policy, v.reg, v.roles, func(p *auth.Policy, roles []string) ([]auth.StepDecision, error) {
			return p.Preflight(roles, pb, v.reg, auth.WithInventory(v.inv))
		}), v.policyFile))
	}
}

// headLine prints the line of a valid playbook with its n steps: "ok",
// or "DENIED" with the count of steps denied to the roles.
func (v *validation) headLine(file string, n, denied int) {
	if v.format == "json" {
		return
	}
	if denied > 0 {
		fmt.Fprintf(v.e.stdout, "%s  %s (%s, %d denied)\n", v.out.red("DENIED"), file, plural(n, "step", "steps"), denied)
		return
	}
	fmt.Fprintf(v.e.stdout, "%s  %s (%s)\n", v.out.green("ok"), file, plural(n, "step", "steps"))
}

// nameOfItsOwn tells whether pb, listed from a directory, is the first
// playbook of its directory with its name, and reports it when not: serve
// --playbooks finds playbooks by name, and schedule tells the runs of each
// apart by it, so both refuse that directory; validate says so first.
func (v *validation) nameOfItsOwn(file string, pb *steps.Playbook) bool {
	dir, ok := v.dirOf[file]
	if !ok {
		return true
	}
	if v.names == nil {
		v.names = map[string]map[string]*steps.Playbook{}
	}
	if v.names[dir] == nil {
		v.names[dir] = map[string]*steps.Playbook{}
	}
	other, dup := v.names[dir][pb.Name]
	if !dup {
		v.names[dir][pb.Name] = pb
		return true
	}
	v.bad++
	v.errs++
	loc := pb.NameLocation()
	msg := fmt.Sprintf("playbook name %s is also used by %s; serve --playbooks and schedule refuse two playbooks of one name: rename one of them", pb.Name, other.NameLocation())
	if v.format == "text" {
		fmt.Fprintf(v.e.stderr, "%s: %s\n", loc, msg)
		return false
	}
	v.diagnostics(steps.Diagnostics{{File: pb.File, Pos: pb.NamePos, Msg: msg}})
	return false
}

// summary prints the tally and returns the exit code: problems win over
// denials.
func (v *validation) summary() int {
	total := v.total
	var line string
	code := ExitOK
	switch {
	case v.bad > 0:
		line = fmt.Sprintf("%d of %s %s problems (%s)", v.bad, plural(total, "playbook", "playbooks"), hasHave(v.bad), plural(v.errs, "error", "errors"))
		code = ExitUsage
	case v.denied > 0:
		who := "role " + v.roles[0]
		if len(v.roles) > 1 {
			who = "roles " + strings.Join(v.roles, ", ")
		}
		line = fmt.Sprintf("%d of %s %s denied steps (%s denied) for %s", v.denied, plural(total, "playbook", "playbooks"), hasHave(v.denied), plural(v.nDenied, "step", "steps"), who)
		code = ExitDenied
	case len(v.dirsBad) > 0 && total == 1:
		line = "the 1 playbook is valid"
	case len(v.dirsBad) > 0 && total > 1:
		line = fmt.Sprintf("all %d playbooks are valid", total)
	case total > 1 && v.format != "json":
		fmt.Fprintf(v.e.stdout, "all %d playbooks are valid\n", total)
	}
	// A directory without playbooks is no playbook with problems: the
	// line says what was found there, and nothing counts as checked.
	if len(v.dirsBad) > 0 {
		dirs := strings.Join(v.dirsBad, "; ")
		if total == 0 {
			line = dirs + "; nothing was validated"
		} else {
			line = dirs + "; " + line
		}
		code = ExitUsage
	}
	if line != "" {
		v.note("%s", line)
	}
	return code
}

func hasHave(n int) string {
	if n == 1 {
		return "has"
	}
	return "have"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
