package history

import (
	"encoding/json"
	"slices"
	"sync/atomic"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// A row's values are boxed into interfaces for database/sql, and boxing a
// string allocates: every run row of a server's executes would pay for
// its status, trigger, roles and empty inputs anew. These are boxed once.

// textArgs are the boxed column values most rows carry: the statuses of
// runs and steps, the triggers, and the inputs of a run with none.
var textArgs = func() map[string]any {
	m := map[string]any{}
	for _, v := range []string{string(report.StatusSucceeded), string(report.StatusFailed), string(report.StatusSkipped),
		string(report.StatusDenied), string(report.StatusCancelled), string(StatusRunning), string(StatusMissed),
		string(TriggerCLI), string(TriggerSchedule), string(TriggerAPI), "{}", "[]"} {
		m[v] = v
	}
	return m
}()

// textArg is s boxed, without an allocation for the values of textArgs.
func textArg(s string) any {
	if v, ok := textArgs[s]; ok {
		return v
	}
	return s
}

// rolesArg is the roles column of a run row: roles as JSON ([] for none).
// The last roles written are kept boxed, as a server's callers mostly
// repeat theirs.
func rolesArg(roles []string) (any, error) {
	if len(roles) == 0 {
		return textArg("[]"), nil
	}
	if m := lastRoles.Load(); m != nil && slices.Equal(m.roles, roles) {
		return m.arg, nil
	}
	data, err := json.Marshal(roles)
	if err != nil {
		return nil, err
	}
	arg := any(string(data))
	lastRoles.Store(&rolesMemo{roles: slices.Clone(roles), arg: arg})
	return arg, nil
}

// lastRoles is the last roles rolesArg boxed; what it points to is never
// changed, so that writers in many goroutines share it.
var lastRoles atomic.Pointer[rolesMemo]

type rolesMemo struct {
	roles []string
	arg   any
}

// boxes keeps, for each column of a batch's rows whose value often
// repeats from one row to the next, the last value boxed, and boxes a
// value again only when it differs: the runs a server executes carry the
// same operation, caller and time to the millisecond, and their run and
// step rows share the run's id. A nil *boxes boxes every value anew.
// It is used by one goroutine, for one batch.
type boxes struct {
	last [boxColumns]any
}

// The columns boxes keeps a value of.
const (
	boxRunID = iota
	boxPlaybook
	boxPath
	boxStartedBy
	boxRunStart
	boxRunEnd
	boxStepID
	boxSection
	boxOp
	boxStepStart
	boxColumns
)

// text is s boxed, the last value of column c when it is s.
func (b *boxes) text(c int, s string) any {
	if b == nil {
		return s
	}
	if v, ok := b.last[c].(string); ok && v == s {
		return b.last[c]
	}
	b.last[c] = s
	return b.last[c]
}

// int is n boxed, the last value of column c when it is n.
func (b *boxes) int(c int, n int64) any {
	if b == nil {
		return n
	}
	if v, ok := b.last[c].(int64); ok && v == n {
		return b.last[c]
	}
	b.last[c] = n
	return b.last[c]
}
