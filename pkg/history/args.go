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
