package steps

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/redact"
	"github.com/arsenal-run/arsenal-run/internal/shellword"
	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

var (
	nameRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	idRE    = regexp.MustCompile(`^[a-z0-9_]+$`)
	identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// MaxDuration is the longest duration a playbook may write.
const MaxDuration = 31 * 24 * time.Hour

var topKeys = []string{"version", "name", "description", "timeout", "inputs", "vars", "env", "env_file", "schedule", "max_parallel", "concurrency", "retry_on_node_loss", "steps", "on_success", "on_failure", "on_cancel", "finally", "notify", "outputs"}

var inputKeys = []string{"type", "default", "description", "required", "secret", "env", "from_env", "from_file", "enum", "min", "max", "pattern"}

// loader decodes one playbook file. Expressions are collected while
// decoding and compiled once the step graph is known.
type loader struct {
	*source
	d       *yamlx.Diags
	reg     *ops.Registry
	pb      *Playbook
	pending []*pendingExpr
	ids     map[string]*Step
	// misnamed holds the steps whose id is not valid, by the names
	// references may use for them (see misname).
	misnamed map[string]*Step
	comp     *exprCompiler
	varIdx   map[string]int
	sub      *subLoads // the sub-playbooks read for playbook.run steps
	// subGroups are the playbook.run steps whose sub-playbook declares a
	// concurrency group, warned about once the caller's own is known.
	subGroups []subGroup
}

// pendingExpr is an expression waiting for the graph.
type pendingExpr struct {
	e     *Expr
	node  *yaml.Node
	off   int // byte offset of the source inside the node's value
	scope scope
	step  *Step
	varAt int        // for vars: the index of the var being defined
	list  bool       // foreach: the result must be a list
	want  string     // retry and repeat settings: the kind of value (wantInteger, wantDuration)
	what  string     // what the expression is, for list and setting messages; "" = foreach
	cond  string     // a condition: "when", "retry.when", "retry.until" or "repeat.until"
	param *paramWant // an operation parameter: the type the result must fit
	// secret is the secret parameter (a password, a key's passphrase)
	// whose value the expression gives or is part of, or nil.
	secret *paramWant
	// source says what the expression computes, for following inputs
	// into secret parameters: an env variable (of a step, or of the
	// playbook when step is nil) or a step's foreach list.
	source *valueSource
	// url is set for an expression in the path or query of a URL
	// parameter (urlcheck.go).
	url *urlWant
	// argv is the step whose program's command line the expression is
	// part of (argvsecret.go).
	argv *Step
}

// valueSource is a value other expressions read by name: env.NAME of a
// step or of the playbook, or item of a step's foreach.
type valueSource struct {
	step *Step  // nil: the playbook's env
	env  string // "" for a foreach list
}

func (l *loader) decodeTop(root *yaml.Node) {
	if what, at := otherFile(root); what != "" {
		l.d.Add(yamlx.PosOf(at), "%s", what)
		return
	}
	pb := l.pb
	if n := yamlx.Deref(root); n.Kind != yaml.MappingNode && !yamlx.IsNull(n) {
		// A file that is no playbook at all (a key, a token, an env
		// file named by mistake) is said to be so without its text: a
		// sub-playbook's path may come from a caller, and the file be
		// one they may not read.
		l.d.Add(yamlx.PosOf(n), "the playbook must be a mapping (key: value), not %s; give the path of a playbook file", yamlx.KindOf(n))
		return
	}
	var versionSeen, nameSeen, stepsSeen bool
	var stepsNode, onSuccessNode, onFailNode, onCancelNode, finallyNode, notifyNode, varsNode, envNode, outputsNode, concNode *yaml.Node
	ok := yamlx.FieldsHint(root, "the playbook", topKeys, anchorHolder(root), l.d, func(key string, k, v *yaml.Node) {
		switch key {
		case "version":
			versionSeen = true
			if n, ok := yamlx.Int(v, "version", 0, 1<<30, l.d); ok {
				if n != Version {
					l.d.Add(yamlx.PosOf(v), "unknown version %d; this arsenal-run reads version %d playbooks", n, Version)
				}
				pb.Version = n
			}
		case "name":
			nameSeen = true
			pb.NamePos = yamlx.PosOf(k)
			if s, ok := yamlx.Str(v, "name", l.d); ok {
				if !nameRE.MatchString(s) || len(s) > MaxIDLen {
					l.d.Add(yamlx.PosOf(v), "name %q: use lower-case letters, digits, - and _, starting with a letter or digit, at most %d characters", yamlx.Truncate(s, 80), MaxIDLen)
				}
				pb.Name = s
			}
		case "description":
			pb.Description, _ = yamlx.Str(v, "description", l.d)
		case "timeout":
			pb.Timeout, _ = l.duration(v, "timeout")
		case "inputs":
			l.decodeInputs(v)
		case "vars":
			varsNode = v
		case "env":
			envNode = v
		case "env_file":
			l.decodeEnvFiles(v)
		case "schedule":
			l.decodeSchedule(v)
		case "max_parallel":
			pb.MaxParallel, _ = l.literalInt(v, "max_parallel", 1, MaxConcurrency, "how many steps run at once (max_parallel: 4)")
		case "concurrency":
			concNode = v
		case "retry_on_node_loss":
			pb.RetryOnNodeLoss, _ = yamlx.Bool(v, "retry_on_node_loss", l.d)
		case "steps":
			stepsSeen = true
			stepsNode = v
		case "on_success":
			onSuccessNode = v
		case "on_failure":
			onFailNode = v
		case "on_cancel":
			onCancelNode = v
		case "finally":
			finallyNode = v
		case "notify":
			notifyNode = v
		case "outputs":
			outputsNode = v
		}
	})
	if !ok {
		return
	}
	// A key misspelt (step:, nmae:) is told once, as unknown with the
	// key it likely means, not again as that key missing.
	if !versionSeen && !misspelt(root, "version") {
		l.d.Add(yamlx.PosOf(root), "missing version; add `version: %d` at the top", Version)
	}
	if !nameSeen && !misspelt(root, "name") {
		l.d.Add(yamlx.PosOf(root), "missing name; add `name: my-playbook`")
	}
	if !stepsSeen && !misspelt(root, "steps") {
		l.d.Add(yamlx.PosOf(root), "missing steps; a playbook needs at least one step")
	}
	// Vars come after inputs so that their expressions know the inputs.
	if varsNode != nil {
		l.decodeVars(varsNode)
	}
	if envNode != nil {
		pb.Env = l.envVars(envNode, "env", nil)
	}
	if concNode != nil {
		l.decodeConcurrency(concNode)
	}
	pb.Steps = l.decodeSteps(stepsNode, SectionSteps, stepsSeen)
	pb.OnSuccess = l.decodeSteps(onSuccessNode, SectionOnSuccess, false)
	pb.OnFailure = l.decodeSteps(onFailNode, SectionOnFailure, false)
	pb.OnCancel = l.decodeSteps(onCancelNode, SectionOnCancel, false)
	pb.Finally = l.decodeSteps(finallyNode, SectionFinally, false)
	if notifyNode != nil {
		l.decodeNotify(notifyNode)
	}
	if outputsNode != nil {
		l.decodeOutputs(outputsNode)
	}
}

func (l *loader) decodeInputs(n *yaml.Node) {
	if l.listForMap(n, "inputs") {
		return
	}
	pairs, ok := yamlx.Pairs(n, "inputs", l.d)
	if !ok {
		return
	}
	if len(pairs) > MaxInputs {
		l.d.Add(yamlx.PosOf(n), "%d inputs, over the limit of %d; pass values that go together as one input of type map or list", len(pairs), MaxInputs)
		return
	}
	for _, p := range pairs {
		if !identRE.MatchString(p.Key) || len(p.Key) > MaxIDLen {
			l.d.Add(yamlx.PosOf(p.K), "input name %q: use letters, digits and _, starting with a letter or _, so expressions can say inputs.%s", yamlx.Truncate(p.Key, 80), "name")
			continue
		}
		in := &Input{Name: p.Key, Pos: yamlx.PosOf(p.K), Type: InputString}
		var defNode *yaml.Node
		typeUnknown := false
		envKey := ""
		limits := map[string]*yaml.Node{}
		yamlx.FieldsHint(p.V, "input "+p.Key, inputKeys, inputKeyHint, l.d, func(key string, k, v *yaml.Node) {
			switch key {
			case "type":
				if s, ok := yamlx.Str(v, "type", l.d); ok {
					if !yamlx.Contains(inputTypes, s) {
						l.d.Add(yamlx.PosOf(v), "unknown input type %q%s; use one of %s", s, typeHint(s), strings.Join(inputTypes, ", "))
						typeUnknown = true // the default is checked against a known type only
						return
					}
					in.Type = InputType(s)
				}
			case "default":
				defNode = v
			case "description":
				in.Description, _ = yamlx.Str(v, "description", l.d)
			case "required":
				in.Required, _ = yamlx.Bool(v, "required", l.d)
			case "secret":
				in.Secret, _ = yamlx.Bool(v, "secret", l.d)
			case "env", "from_env":
				if s, ok := yamlx.Str(v, key, l.d); ok {
					if !shellword.IsName(s) {
						l.d.Add(yamlx.PosOf(v), "%s %q is not a valid environment variable name", key, s)
					}
					if envKey != "" {
						l.d.Add(yamlx.PosOf(k), "input %s has both %s and %s, which mean the same; keep one", p.Key, envKey, key)
					}
					envKey = key
					in.Env = s
				}
			case "from_file":
				if s, ok := yamlx.Str(v, "from_file", l.d); ok {
					switch {
					case strings.TrimSpace(s) == "":
						l.d.Add(yamlx.PosOf(v), "from_file is empty; give the path of a file holding the value")
					case strings.Contains(s, "${{"):
						l.d.Add(yamlx.PosOf(v), "from_file is a path, not interpolated; write it literally")
					case l.sub.swaps:
						if msg := SwappableInputFile(inputFilePath(l.pb.Dir, s)); msg != "" {
							l.d.Add(yamlx.PosOf(v), "from_file %s: %s", s, msg)
						}
					}
					in.FromFile = s
				}
			case "enum", "min", "max", "pattern":
				limits[key] = v
			}
		})
		l.inputConstraint(in, limits)
		if defNode != nil && !yamlx.IsNull(defNode) && !typeUnknown {
			var plain any
			if in.Secret {
				plain = yamlx.PlainSecret(defNode, "default of secret input "+in.Name, l.d)
			} else {
				plain = yamlx.Plain(defNode, l.d)
			}
			v, err := in.Coerce(plain)
			if err != nil {
				msg := err.Error()
				if in.Secret {
					// A secret input's value is never quoted, its
					// default included.
					msg = redact.New(fmt.Sprint(plain)).String(msg)
				}
				l.d.Add(yamlx.PosOf(defNode), "default of input %s: %s", in.Name, msg)
			} else {
				in.Default = v
			}
			if in.Required {
				l.d.Add(yamlx.PosOf(defNode), "input %s is required and has a default; drop one of the two", in.Name)
			}
		}
		l.pb.Inputs = append(l.pb.Inputs, in)
	}
}

func (l *loader) decodeVars(n *yaml.Node) {
	if l.listForMap(n, "vars") {
		return
	}
	pairs, ok := yamlx.Pairs(n, "vars", l.d)
	if !ok {
		return
	}
	for _, p := range pairs {
		if !identRE.MatchString(p.Key) || len(p.Key) > MaxIDLen {
			l.d.Add(yamlx.PosOf(p.K), "var name %q: use letters, digits and _, starting with a letter or _", yamlx.Truncate(p.Key, 80))
			continue
		}
		l.pb.Vars = append(l.pb.Vars, &Var{Name: p.Key, Pos: yamlx.PosOf(p.K)})
	}
	// Values are decoded once every name is known, so that an expression
	// naming a later var gets "defined later" rather than "unknown".
	i := 0
	for _, p := range pairs {
		if i < len(l.pb.Vars) && l.pb.Vars[i].Name == p.Key {
			l.varIdx[p.Key] = i
			l.pb.Vars[i].Value = l.value(p.V, scopeVars, nil, i, false)
			i++
		}
	}
}

func (l *loader) envVars(n *yaml.Node, what string, s *Step) []*EnvVar {
	pairs, ok := yamlx.Pairs(n, what, l.d)
	if !ok {
		return nil
	}
	sc := scopeVars
	if s != nil {
		sc = l.stepScope(s)
	}
	var out []*EnvVar
	for _, p := range pairs {
		if !shellword.IsName(p.Key) {
			l.d.Add(yamlx.PosOf(p.K), "%q is not a valid environment variable name (letters, digits and _, not starting with a digit)", yamlx.Truncate(p.Key, 80))
			continue
		}
		v := yamlx.Deref(p.V)
		if v.Kind != yaml.ScalarNode || yamlx.IsNull(v) {
			l.d.Add(yamlx.PosOf(p.V), "env %s must be a string, number or bool, not %s", p.Key, yamlx.KindName(v))
			continue
		}
		from := len(l.pending)
		out = append(out, &EnvVar{Name: p.Key, Pos: yamlx.PosOf(p.K), Value: l.value(p.V, sc, s, -1, false)})
		l.markSource(from, &valueSource{step: s, env: p.Key})
	}
	return out
}

// typeNames are the names other tools give the input types.
var typeNames = map[string]string{
	"boolean": "bool", "int": "integer", "str": "string", "text": "string",
	"float": "number", "array": "list", "object": "map", "dict": "map",
}

// typeHint suggests the input type meant by s.
func typeHint(s string) string {
	if t, ok := typeNames[strings.ToLower(s)]; ok {
		return suggest.Hint(t)
	}
	return suggest.DidYouMean(s, inputTypes)
}

// misspelt tells whether the playbook root has a key that is not one of
// topKeys and that the unknown-key error names as likely meaning want.
func misspelt(root *yaml.Node, want string) bool {
	n := yamlx.Deref(root)
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := n.Content[i].Value
		if yamlx.Contains(topKeys, key) {
			continue
		}
		if x, ok := suggest.Meant(key, topKeys); ok && x == want {
			return true
		}
	}
	return false
}
