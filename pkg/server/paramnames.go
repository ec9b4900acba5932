package server

import (
	"regexp"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// An operation names a param it refuses as "param NAME: …"
// (ops.ParamError); several are joined with "; ". A client of the API
// does not write "param": it sent the value as a field of its body
// (params.url in an execute), or, on the endpoints that wrap one
// operation, as a query parameter, path value or body field of their own
// (limit, pid, restart). These name the param as the client wrote it.

// paramAt finds each "param NAME: " that starts a problem.
var paramAt = regexp.MustCompile(`(^|; )param ([A-Za-z0-9_]+): `)

// paramsMessage writes the problems of pes as "PREFIX.NAME: …", joined
// as ParamErrors joins them.
func paramsMessage(prefix string, pes ops.ParamErrors) string {
	msgs := make([]string, len(pes))
	for i, pe := range pes {
		if pe.Param == "" {
			msgs[i] = pe.Msg
			continue
		}
		msgs[i] = prefix + "." + pe.Param + ": " + pe.Msg
	}
	return strings.Join(msgs, "; ")
}

// nameRuntimeParam names the param of an operation's refusal at run time
// (class validation, message "param NAME: …") as params.NAME, in the
// field and in the message. A refusal that names no param is left as it is.
func nameRuntimeParam(e *apiError) {
	m := paramAt.FindStringSubmatch(e.Message)
	if m == nil || m[1] != "" {
		return
	}
	e.Field = "params." + m[2]
	e.Message = paramAt.ReplaceAllString(e.Message, "${1}params.${2}: ")
}

// ownNames rewrites an error of an operation run for an endpoint that takes
// the op's params under names of its own: "params.NAME" becomes NAME, or
// rename[NAME] when the endpoint calls it otherwise, in the field and in
// the message.
func ownNames(e *apiError, rename map[string]string) {
	own := func(name string) string {
		if r, ok := rename[name]; ok {
			return r
		}
		return name
	}
	if f, ok := strings.CutPrefix(e.Field, "params."); ok {
		name, rest, _ := strings.Cut(f, ".")
		e.Field = own(name)
		if rest != "" {
			e.Field += "." + rest
		}
	}
	e.Message = paramsAt.ReplaceAllStringFunc(e.Message, func(s string) string {
		m := paramsAt.FindStringSubmatch(s)
		return m[1] + own(m[2]) + ": "
	})
}

// paramsAt finds each "params.NAME: " that starts a problem.
var paramsAt = regexp.MustCompile(`(^|; )params\.([A-Za-z0-9_]+): `)
