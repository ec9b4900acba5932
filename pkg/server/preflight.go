package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// stepDecision is the preflight's verdict on one step.
type stepDecision struct {
	Step    string `json:"step"`
	Op      string `json:"op"`
	Section string `json:"section"`
	Risk    string `json:"risk"`
	Allowed bool   `json:"allowed"`
	Rule    string `json:"rule"`
	Via     string `json:"via,omitempty"`
}

// problem is what is wrong with one field of a request.
type problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// preflightAnswer is what a run of the request would be allowed to do.
type preflightAnswer struct {
	// Allowed: every step is allowed and the inputs resolve; Run would
	// start.
	Allowed  bool           `json:"allowed"`
	Steps    []stepDecision `json:"steps"`
	Refusal  string         `json:"refusal,omitempty"`
	Problems []problem      `json:"problems"`
}

// POST /api/v1/playbooks/{name}/preflight: what a run with these inputs
// would be allowed to do, per step with the deciding rule, and what is
// wrong with the inputs, each by its field; nothing runs or is recorded.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request, c *Principal) *apiError {
	if e := onlyParams(r.URL.Query()); e != nil {
		return e
	}
	var body runRequest
	if e := decodeStrict(r, s.cfg.Limits.MaxBodyBytes, &body); e != nil {
		return e
	}
	st := s.current()
	pb, ok := st.Playbooks.Get(r.PathValue("name"))
	if !ok {
		return st.Playbooks.notFound(r.PathValue("name"), false)
	}
	chk, err := s.mgr.Service().Check(r.Context(), runs.Request{
		Playbook: pb, Inputs: body.Inputs, DryRun: body.DryRun, Policy: st.Policy, Env: s.cfg.Env,
		Caller:    runs.Caller{Roles: c.Roles, Name: c.Name, From: clientAddr(r), Trigger: runs.TriggerAPI},
		InputHint: inputHint(c),
	})
	if err != nil {
		return s.prepareError(err, "inputs")
	}
	ans := preflightAnswer{Steps: []stepDecision{}, Refusal: chk.Refusal, Problems: inputProblems(chk.Inputs)}
	for _, d := range chk.Steps {
		ans.Steps = append(ans.Steps, stepDecision{Step: d.Step, Op: d.Op, Section: string(d.Section), Risk: string(d.Risk),
			Allowed: d.Decision.Allowed, Rule: d.Decision.Rule, Via: d.Decision.Via})
	}
	ans.Allowed = chk.Allowed() && len(ans.Problems) == 0 && ans.Refusal == ""
	writeJSON(w, http.StatusOK, ans)
	return nil
}

// inputProblems splits an input error into one problem per input: each of
// an *engine.InputError's problems starts with the input's name.
func inputProblems(err error) []problem {
	out := []problem{}
	if err == nil {
		return out
	}
	var ie *engine.InputError
	if !errors.As(err, &ie) || len(ie.Problems) == 0 {
		return append(out, problem{Field: "inputs", Message: err.Error()})
	}
	for _, p := range ie.Problems {
		field := "inputs"
		if i := strings.IndexAny(p, ": ("); i > 0 {
			field += "." + p[:i]
		}
		out = append(out, problem{Field: field, Message: p})
	}
	return out
}
