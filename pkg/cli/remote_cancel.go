package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

func (r *remote) cancel(id string) int {
	if _, err := r.call(context.Background(), "POST", "/api/v1/runs/"+url.PathEscape(id)+"/cancel", nil, nil); err != nil {
		var ae *apiError
		if beingCancelled(err) {
			// Someone (another operator, an earlier try) cancelled it
			// already: what was asked for holds.
			fmt.Fprintf(r.e.stdout, "%s is being cancelled already; 'arsenal-run remote runs' shows when it ends\n", termtext.Line(id))
			return ExitOK
		}
		code := r.fail(err)
		if errors.As(err, &ae) && ae.status == http.StatusNotFound && ae.Class != classForeign {
			r.e.errorf("%s", r.unknownRunHint(id))
		}
		return code
	}
	fmt.Fprintf(r.e.stdout, "cancelling %s\n", id)
	return ExitOK
}

// beingCancelled reports whether err is the server's 409 to a cancel of
// a run that someone asked to stop already: its reason says so (the
// message is for people, and may be reworded or translated).
func beingCancelled(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.status == http.StatusConflict && ae.Reason == "being_cancelled"
}

// unknownRunHint says what to do about a run id the server does not
// know: cancel takes a whole id, so one that is the start of ids (copied
// short, or a date), or a typo of one, names them rather than cancelling
// a guess.
func (r *remote) unknownRunHint(id string) string {
	const give = "give the whole run id, as 'arsenal-run remote runs' lists it"
	var out struct {
		Runs []struct{ ID string } `json:"runs"`
	}
	if _, err := r.call(context.Background(), "GET", "/api/v1/runs?limit="+strconv.Itoa(maxRemoteLimit), nil, &out); err != nil {
		return give
	}
	var match, ids []string
	for _, run := range out.Runs {
		ids = append(ids, run.ID)
		if id != "" && strings.HasPrefix(run.ID, id) {
			match = append(match, termtext.Line(run.ID))
		}
	}
	switch {
	case len(match) == 1:
		return fmt.Sprintf("%s is the start of run %s: %s", flagValue(id), match[0], give)
	case len(match) > 5:
		return fmt.Sprintf("%s is the start of %d runs' ids, among them %s: %s", flagValue(id), len(match), strings.Join(match[:5], ", "), give)
	case len(match) > 1:
		return fmt.Sprintf("%s is the start of %d runs' ids, %s: %s", flagValue(id), len(match), strings.Join(match, ", "), give)
	}
	// A character mistyped (copied by hand from a page or a chat) names
	// the run it is likely a typo of, among the latest the server lists.
	if near := store.Near(id, ids); near != "" {
		return fmt.Sprintf("did you mean %s? %s", termtext.Line(near), give)
	}
	return give
}
