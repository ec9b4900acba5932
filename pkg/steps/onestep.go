package steps

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/redact"
	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// OneStepID is the id of the step of a OneStep playbook.
const OneStepID = "op"

// OneStep returns a playbook of a single step that runs op with params.
// The params are plain data: nothing in them is interpolated, whatever
// they contain. It is how one operation runs outside a playbook (the API's
// execute), so that it goes through the same engine, authorization, audit,
// masking and history as any step. A bad op or param is an error of class
// validation; its ops.ParamErrors name the params. The playbook has no
// directory: ops that may read beside a playbook (a template, an
// inventory) get nothing past the caller's file roots, and relative paths
// resolve against the working directory, inside those roots only.
//
// The playbook is named execute-OP (dots made dashes), its File is
// report.OperationPath and op, and its SHA256 is that of
// {"op":OP,"params":PARAMS} as encoding/json writes it, secret params
// masked: what the report, the history and the audit log record the call
// as.
func OneStep(reg *ops.Registry, op string, params map[string]any, timeout time.Duration) (*Playbook, error) {
	e, err := reg.Get(op)
	if err != nil {
		return nil, ops.WithClass(ops.ClassValidation, err)
	}
	if params == nil {
		params = map[string]any{}
	}
	p, err := e.Validate(params, true)
	if err != nil {
		return nil, ops.WithClass(ops.ClassValidation, err)
	}
	if timeout < 0 {
		return nil, ops.WithClass(ops.ClassValidation, fmt.Errorf("timeout %s: give a positive duration", short.Duration(timeout)))
	}
	id, err := oneStepIdentityOf(op)
	if err != nil {
		return nil, ops.WithClass(ops.ClassValidation, fmt.Errorf("op: %w", err))
	}
	sum := id.emptySHA256
	if len(params) > 0 {
		if sum, err = id.sha256(maskSecretParams(&e.Spec, params)); err != nil {
			return nil, ops.WithClass(ops.ClassValidation, fmt.Errorf("params: %w", err))
		}
	}
	// One allocation for the playbook, its step and what they point to:
	// an execute makes one on every call.
	o := &struct {
		pb    Playbook
		step  Step
		steps [1]*Step
		with  Value
	}{}
	o.with = Value{Kind: KindLiteral, Lit: params}
	o.step = Step{
		ID: OneStepID, Section: SectionSteps, Op: op, Entry: e,
		With: &o.with, Params: p, Risk: e.RiskFor(p), RiskWhy: e.RiskReason(p), CallerParams: true,
		Concurrency: 1, FailFast: true, Retry: Retry{Attempts: 1, Backoff: 1}, Timeout: timeout,
	}
	o.steps[0] = &o.step
	o.pb = Playbook{File: id.file, SHA256: sum, Version: Version, Name: id.name, Steps: o.steps[:]}
	return &o.pb, nil
}

// maskSecretParams returns params with the values of spec's secret params
// masked, wherever they appear, or params itself when none is given. The
// sha256 of an execute is recorded in reports, the history and audit lines
// that other keys may read: hashed as it was given, a short password or
// webhook token could be found by hashing guesses until one matches.
func maskSecretParams(spec *ops.Spec, params map[string]any) map[string]any {
	var secrets []string
	for _, p := range spec.Params {
		if !p.Secret {
			continue
		}
		if v, ok := params[p.Name]; ok && v != nil {
			secrets = append(secrets, fmt.Sprint(v))
		}
	}
	if len(secrets) == 0 {
		return params
	}
	masked, _ := redact.New(secrets...).Value(params).(map[string]any)
	return masked
}

// oneStepIdentity is what the OneStep playbooks of an operation are
// recorded as, but for the sha256 of their params, worked out once per
// operation name.
type oneStepIdentity struct {
	file, name string
	// prefix is the JSON hashed up to the params: {"op":OP,"params":
	prefix []byte
	// emptySHA256 is the playbook's sha256 without params.
	emptySHA256 string
}

// oneStepIdentities holds, by operation name, its oneStepIdentity. Only
// the names of registered operations reach it (OneStep looks them up
// first): it holds as many as the process registers.
var oneStepIdentities sync.Map

func oneStepIdentityOf(op string) (*oneStepIdentity, error) {
	if id, ok := oneStepIdentities.Load(op); ok {
		return id.(*oneStepIdentity), nil
	}
	name, err := json.Marshal(op)
	if err != nil {
		return nil, err
	}
	id := &oneStepIdentity{
		file: report.OperationPath + op, name: "execute-" + strings.ReplaceAll(op, ".", "-"),
		prefix: append(append([]byte(`{"op":`), name...), `,"params":`...),
	}
	if id.emptySHA256, err = id.sha256(map[string]any{}); err != nil {
		return nil, err
	}
	got, _ := oneStepIdentities.LoadOrStore(op, id)
	return got.(*oneStepIdentity), nil
}

// sha256 is the hex SHA-256 of {"op":OP,"params":PARAMS}, PARAMS as
// json.Marshal writes them.
func (id *oneStepIdentity) sha256(params map[string]any) (string, error) {
	b := hashBuffers.Get().(*hashBuffer)
	defer b.release()
	b.buf.Reset()
	b.buf.Write(id.prefix)
	// Encode writes what Marshal returns (HTML escaped alike), then a
	// newline, which the closing brace replaces.
	if err := b.enc.Encode(params); err != nil {
		return "", err
	}
	data := b.buf.Bytes()
	data[len(data)-1] = '}'
	sum := sha256.Sum256(data)
	var text [2 * sha256.Size]byte
	hex.Encode(text[:], sum[:])
	return string(text[:]), nil
}

// hashBuffer is a buffer, and an encoder writing to it, for the JSON of
// params to hash.
type hashBuffer struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var hashBuffers = sync.Pool{New: func() any {
	b := &hashBuffer{}
	b.enc = json.NewEncoder(&b.buf)
	return b
}}

// release gives b back, unless the params of a large call grew it.
func (b *hashBuffer) release() {
	if b.buf.Cap() <= 64<<10 {
		hashBuffers.Put(b)
	}
}
