package steps

import "fmt"

// secretFlow follows inputs through vars into secret parameters: a var
// that reads an input, read by a secret parameter, is that input too.
type secretFlow struct {
	inputs map[int][]string // by var index: the inputs its expressions read
	vars   map[int][]string // by var index: the vars its expressions read
	uses   []secretVarUse   // secret parameters that read a var
	// argvVars are the vars read on a program's command line
	// (argvsecret.go).
	argvVars []secretVarUse
	// The same for env variables and foreach lists (valueSource).
	srcInputs map[valueSource][]string
	srcVars   map[valueSource][]string
	srcUses   []secretSourceUse
	// argvSrcs are the env variables and items read on a program's
	// command line (argvsecret.go).
	argvSrcs []secretSourceUse
}

type secretVarUse struct {
	pe  *pendingExpr
	v   string
	pos Pos
}

// secretSourceUse is a secret parameter that reads env.NAME or item.
type secretSourceUse struct {
	pe   *pendingExpr
	kind string // "env" or "item"
	name string // the env variable's
	pos  Pos
}

func newSecretFlow() *secretFlow {
	return &secretFlow{inputs: map[int][]string{}, vars: map[int][]string{},
		srcInputs: map[valueSource][]string{}, srcVars: map[valueSource][]string{}}
}

func (f *secretFlow) readInput(pe *pendingExpr, input string) {
	if pe.varAt >= 0 {
		f.inputs[pe.varAt] = append(f.inputs[pe.varAt], input)
	}
	if pe.source != nil {
		f.srcInputs[*pe.source] = append(f.srcInputs[*pe.source], input)
	}
}

func (f *secretFlow) readVar(pe *pendingExpr, v string, pos Pos) {
	if pe.varAt >= 0 {
		f.vars[pe.varAt] = append(f.vars[pe.varAt], v)
	}
	if pe.source != nil {
		f.srcVars[*pe.source] = append(f.srcVars[*pe.source], v)
	}
	if pe.secret != nil {
		f.uses = append(f.uses, secretVarUse{pe, v, pos})
	}
	if pe.argv != nil {
		f.argvVars = append(f.argvVars, secretVarUse{pe, v, pos})
	}
}

// readSource notes an expression reading env.NAME or item: of interest
// when it gives a secret parameter.
func (f *secretFlow) readSource(pe *pendingExpr, kind, name string, pos Pos) {
	if pe.secret != nil {
		f.srcUses = append(f.srcUses, secretSourceUse{pe, kind, name, pos})
	}
	if pe.argv != nil {
		f.argvSrcs = append(f.argvSrcs, secretSourceUse{pe, kind, name, pos})
	}
}

// check refuses each secret parameter that reads, through vars, env or a
// foreach's item, an input not declared secret.
func (f *secretFlow) check(l *loader) {
	f.checkArgvVars(l)
	f.checkScripts(l)
	for _, u := range f.uses {
		if in := f.plainThroughVars(l, []string{u.v}); in != "" {
			l.d.Add(u.pos, "vars.%s reads inputs.%s and gives %s of step %s, a secret parameter, but %s", u.v, in, u.pe.secret.param.Name, u.pe.secret.step.ID, l.plainInput(in))
		}
	}
	for _, u := range f.srcUses {
		st := u.pe.secret.step
		src, what := f.source(st, u)
		in := ""
		for _, i := range f.srcInputs[src] {
			if l.plainInput(i) != "" {
				in = i
				break
			}
		}
		if in == "" {
			in = f.plainThroughVars(l, f.srcVars[src])
		}
		if in != "" {
			l.d.Add(u.pos, "%s reads inputs.%s and gives %s of step %s, a secret parameter, but %s", what, in, u.pe.secret.param.Name, st.ID, l.plainInput(in))
		}
	}
}

// source is what u, an expression of step st reading env.NAME or item,
// reads: the step's env variable or, when the step has none by that
// name, the playbook's; the step's foreach list. what names it.
func (f *secretFlow) source(st *Step, u secretSourceUse) (src valueSource, what string) {
	if u.kind != "env" {
		return valueSource{step: st}, "item"
	}
	if src = (valueSource{step: st, env: u.name}); f.srcInputs[src] == nil && f.srcVars[src] == nil {
		src = valueSource{env: u.name} // not the step's own: the playbook's
	}
	return src, "env." + u.name
}

// plainThroughVars returns an input not declared secret that one of vars
// reads, directly or through other vars; "" when none does.
func (f *secretFlow) plainThroughVars(l *loader, vars []string) string {
	return f.throughVars(l, vars, func(in string) bool { return l.plainInput(in) != "" })
}

// throughVars returns an input for which want holds that one of vars
// reads, directly or through other vars; "" when none does.
func (f *secretFlow) throughVars(l *loader, vars []string, want func(string) bool) string {
	seen := map[string]bool{}
	var walk func(v string) string
	walk = func(v string) string {
		i, ok := l.varIdx[v]
		if !ok || seen[v] {
			return ""
		}
		seen[v] = true
		for _, in := range f.inputs[i] {
			if want(in) {
				return in
			}
		}
		for _, w := range f.vars[i] {
			if in := walk(w); in != "" {
				return in
			}
		}
		return ""
	}
	for _, v := range vars {
		if in := walk(v); in != "" {
			return in
		}
	}
	return ""
}

// markSource marks the expressions collected since from as computing src.
func (l *loader) markSource(from int, src *valueSource) {
	for _, pe := range l.pending[from:] {
		pe.source = src
	}
}

// plainInput says, for an input not declared secret, why a secret
// parameter may not read it and what to do; "" for a secret input.
func (l *loader) plainInput(name string) string {
	for _, in := range l.pb.Inputs {
		if in.Name == name && !in.Secret {
			return fmt.Sprintf("input %s is not secret, so its value would be written in clear to the report, history and logs; add secret: true to input %s", name, name)
		}
	}
	return ""
}

// checkSecretInput refuses a secret parameter (a password, a key's
// passphrase) whose value reads an input not declared secret: the run
// would write that input in clear to its report, history and events,
// which mask only the values of secret inputs.
func (l *loader) checkSecretInput(pe *pendingExpr, name string, pos Pos) {
	if pe.secret == nil {
		return
	}
	if msg := l.plainInput(name); msg != "" {
		l.d.Add(pos, "inputs.%s gives %s of step %s, a secret parameter, but %s", name, pe.secret.param.Name, pe.secret.step.ID, msg)
	}
}
