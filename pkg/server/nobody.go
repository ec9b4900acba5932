package server

import (
	"bytes"
	"io"
	"net/http"

	"github.com/go-json-experiment/json/jsontext"
)

// noBody refuses a body sent to a route that takes none (label names it,
// "POST /api/v1/runs/{id}/cancel"): a client that sends a reason, or a
// signal to DELETE in the body rather than the query, would otherwise
// see its request done as though the server had read it. No body, one
// of white space alone and an empty object ({}, which some clients send
// with every POST) go through.
func noBody(r *http.Request, label string) *apiError {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return nil
	}
	// What it starts with is enough to tell: the rest is not read.
	data, err := io.ReadAll(io.LimitReader(r.Body, noBodyPeek))
	if err != nil {
		return errorf(http.StatusBadRequest, ClassValidation, "cannot read the body: %v", err)
	}
	whole := len(data) < noBodyPeek
	data = bytes.TrimSpace(data)
	if len(data) == 0 && whole {
		return nil
	}
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.ReadToken(); err == nil && tok.Kind() == '{' {
		next, err := dec.ReadToken()
		switch {
		case err == nil && next.Kind() == '}':
			if _, err := dec.ReadToken(); err == io.EOF && whole {
				return nil // {}
			}
		case err == nil && next.Kind() == '"':
			name := next.String()
			return badField(name, "unknown field %q: %s takes no body, so nothing in it would be read; send none (the parameters it takes go in its path and query)", name, label)
		}
	}
	return errorf(http.StatusBadRequest, ClassValidation, "%s takes no body, so nothing in it would be read; send none (the parameters it takes go in its path and query)", label)
}

// noBodyPeek is how much of a body sent to a route that takes none is
// read to say what is wrong with it.
const noBodyPeek = 4 << 10
