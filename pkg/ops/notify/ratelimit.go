package notify

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// post sends a webhook's request. An endpoint that answers 429 Too Many
// Requests with a Retry-After (Slack's and Teams' webhooks do, under a
// burst of messages) gets the message once more after that wait, when the
// wait ends before the operation's timeout: otherwise the message, which
// the endpoint said it would take a moment later, would be lost, since a
// notify entry is sent once. Any other answer is returned as it is.
func post(ctx context.Context, client *http.Client, req *http.Request) (*http.Response, error) {
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != http.StatusTooManyRequests || req.GetBody == nil {
		return resp, err
	}
	wait, ok := ops.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	if d, has := ctx.Deadline(); !ok || has && !time.Now().Add(wait).Before(d) {
		return resp, nil
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	case <-t.C:
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	again := req.Clone(ctx)
	again.Body = body
	return client.Do(again)
}
