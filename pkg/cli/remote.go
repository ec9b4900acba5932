package cli

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/jsonx"
	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// remote is one client command.
type remote struct {
	e    *env
	c    *command
	o    remoteOptions
	base *url.URL
	key  string
	http *http.Client
	// certs is what the TLS handshakes told of the client certificate,
	// leaf that certificate.
	certs certState
	leaf  *x509.Certificate
	// fromEnv: the server's URL is $ARSENAL_SERVER's, not --server's.
	fromEnv bool
	// proxied is the *url.URL of the proxy the requests go through.
	proxied atomic.Value
	// opWait is how long the server may take before it answers: the
	// timeout of an execute, which answers once its operation ended.
	opWait time.Duration
}

func (r *remote) opsList() int {
	path := "/api/v1/operations"
	if r.o.category != "" {
		path += "/" + url.PathEscape(r.o.category)
	}
	var out struct {
		Operations []struct {
			Name, Risk, Description string
		} `json:"operations"`
	}
	if _, err := r.call(context.Background(), "GET", path, nil, &out); err != nil {
		return r.fail(err)
	}
	t := &table{header: []string{"NAME", "RISK", "DESCRIPTION"}}
	for _, o := range out.Operations {
		t.add(o.Name, o.Risk, firstSentence(o.Description))
	}
	t.write(r.e.stdout, r.e.paletteFor(r.e.stdout))
	return ExitOK
}

// values turns k=v flags into typed values: a name in declared by its
// type, as run reads an input; any other JSON when v parses as JSON, else
// the string (an input the playbook does not declare goes so, for the
// server to name).
func values(flag string, kvs []string, declared map[string]*steps.Input) (map[string]any, error) {
	out, given := map[string]any{}, map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s", noEquals(flag, kv))
		}
		if old, twice := given[k]; twice && old != v {
			return nil, fmt.Errorf("--%s %s is given twice, with different values: give it once", flag, k)
		}
		given[k] = v
		if in := declared[k]; in != nil {
			x, err := in.Parse(v)
			if err != nil && in.Secret { // its text is never quoted
				return nil, fmt.Errorf("--%s %s: %s", flag, k, in.SecretMismatch())
			}
			if err != nil {
				return nil, fmt.Errorf("--%s %s: %v", flag, k, err)
			}
			out[k] = x
			continue
		}
		if x, err := jsonx.Decode([]byte(v)); err == nil { // numbers sent on as written
			out[k] = x
		} else {
			out[k] = v
		}
	}
	return out, nil
}

func (r *remote) exec(op string) int {
	params, err := values("param", r.o.params, nil)
	if err != nil {
		return usageError(r.e, r.c, "%v", err)
	}
	body := map[string]any{"params": params}
	if r.o.timeout != "" {
		body["timeout"] = r.o.timeout
	}
	// The result is printed as the server sent it: decoded into a map, a
	// whole number past 2^53 would be rounded through a float64.
	var out struct {
		Result json.RawMessage `json:"result"`
	}
	if _, err := r.call(context.Background(), "POST", "/api/v1/operations/"+url.PathEscape(op)+"/execute", body, &out); err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.status == http.StatusUnprocessableEntity {
			// Its message ends with what the operation printed (a
			// shell's stderr): indented under it, as the summary of
			// run indents it, and wrapped on a terminal.
			io.WriteString(r.e.stderr, termtext.Indent(program+": "+op+" failed: ", ae.Msg, "  ", termWidth(r.e.stderr)))
			return ExitFailed
		}
		code := r.fail(err)
		if errors.As(err, &ae) && ae.status == http.StatusNotFound && strings.HasPrefix(ae.Msg, "unknown operation ") {
			r.e.errorf("'arsenal-run remote ops list' lists the server's operations")
		}
		return code
	}
	var buf bytes.Buffer
	if len(out.Result) == 0 || json.Indent(&buf, out.Result, "", "  ") != nil {
		buf.Reset()
		buf.WriteString("null")
	}
	buf.WriteByte('\n')
	r.e.stdout.Write(buf.Bytes())
	return ExitOK
}

func (r *remote) run(name string) int {
	// The playbook's inputs say how to read each --input, as run reads
	// them: who=123 is the text 123 for a string input, a number for a
	// number one. A malformed --input is refused before asking.
	if _, err := values("input", r.o.inputs, nil); err != nil {
		return usageError(r.e, r.c, "%v", err)
	}
	var pb struct {
		Inputs []struct{ Name, Type string }
	}
	if _, err := r.call(context.Background(), "GET", "/api/v1/playbooks/"+url.PathEscape(name), nil, &pb); err != nil {
		return r.fail(err)
	}
	declared := map[string]*steps.Input{}
	for _, in := range pb.Inputs {
		declared[in.Name] = &steps.Input{Name: in.Name, Type: steps.InputType(in.Type)}
	}
	inputs, err := values("input", r.o.inputs, declared)
	if err != nil {
		return usageError(r.e, r.c, "%v", err)
	}
	var started struct {
		RunID   string `json:"run_id"`
		Status  string `json:"status"`
		Links   struct{ Self, Events, Cancel string }
		Waiting *waitPlace `json:"waiting"`
	}
	body := map[string]any{"inputs": inputs, "dry_run": r.o.dryRun}
	// With someone to answer, the run is started to ask; without, the
	// server denies its confirm: steps, saying how to ask.
	q := r.questioner()
	if q != nil {
		body["ask"] = true
	}
	if _, err := r.call(context.Background(), "POST", "/api/v1/playbooks/"+url.PathEscape(name)+"/runs", body, &started); err != nil {
		return r.fail(err)
	}
	if q == nil && !r.o.wait && !r.o.follow {
		fmt.Fprintf(r.e.stdout, "%s %s\nevents: %s%s\n", termtext.Line(started.RunID), termtext.Line(started.Status), r.base, termtext.Line(started.Links.Events))
		started.Waiting.note(r.e.stderr)
		return ExitOK
	}
	return r.followRun(started.RunID, started.Status, started.Waiting, q)
}

// remoteExitCode is exitCode for a run followed on a server: 130 and 143
// say that this command's own SIGINT or SIGTERM cancelled the run. One
// cancelled there (by another caller, or the server stopping) did not
// succeed: exit 1, so that CI does not take it for an interrupted job.
func remoteExitCode(rep *report.Report, cause error) int {
	var sig *signalCause
	if rep.Status == report.StatusCancelled && !errors.As(cause, &sig) {
		return ExitFailed
	}
	return exitCode(rep, cause)
}
