package steps

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

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
	data, err := json.Marshal(struct {
		Op     string         `json:"op"`
		Params map[string]any `json:"params"`
	}{op, params})
	if err != nil {
		return nil, ops.WithClass(ops.ClassValidation, fmt.Errorf("params: %w", err))
	}
	sum := sha256.Sum256(data)
	s := &Step{
		ID: OneStepID, Section: SectionSteps, Op: op, Entry: e,
		With: &Value{Kind: KindLiteral, Lit: params}, Params: p, Risk: e.RiskFor(p), CallerParams: true,
		Concurrency: 1, FailFast: true, Retry: Retry{Attempts: 1, Backoff: 1}, Timeout: timeout,
	}
	return &Playbook{
		File: report.OperationPath + op, SHA256: hex.EncodeToString(sum[:]), Version: Version,
		Name: "execute-" + strings.ReplaceAll(op, ".", "-"), Steps: []*Step{s},
	}, nil
}
