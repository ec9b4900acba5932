package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
)

// Class is the class of an API error, as the error body names it.
type Class string

// The error classes of the API. Each maps to one or a few HTTP statuses.
const (
	ClassValidation     Class = "validation"     // 400, 413
	ClassAuthentication Class = "authentication" // 401
	ClassAuthorization  Class = "authorization"  // 403
	ClassNotFound       Class = "not_found"      // 404, 405
	ClassConflict       Class = "conflict"       // 409
	ClassRateLimited    Class = "rate_limited"   // 429
	ClassExecution      Class = "execution"      // 422
	ClassTimeout        Class = "timeout"        // 422 when an operation timed out
	ClassInternal       Class = "internal"       // 500
	ClassUnavailable    Class = "unavailable"    // 503
)

// apiError is an error answer: its status, body and headers.
type apiError struct {
	Status     int           `json:"-"`
	Class      Class         `json:"class"`
	Message    string        `json:"message"`
	Rule       string        `json:"rule,omitempty"`
	Field      string        `json:"field,omitempty"`
	RunID      string        `json:"run_id,omitempty"`
	Reason     Reason        `json:"reason,omitempty"`
	RetryAfter time.Duration `json:"-"`
}

// Reason says, within a class, why a request was refused, where a client
// acts on the difference: the message is for people and may change.
type Reason string

// The reasons of 409 conflicts about a run.
const (
	// ReasonBeingCancelled: someone asked to cancel the run already; it
	// is on its way to its end, as a second cancel asks.
	ReasonBeingCancelled Reason = "being_cancelled"
	// ReasonEnded: the run has ended; its report is final.
	ReasonEnded Reason = "ended"
)

func (e *apiError) Error() string { return e.Message }

func errorf(status int, class Class, format string, args ...any) *apiError {
	return &apiError{Status: status, Class: class, Message: fmt.Sprintf(format, args...)}
}

func badField(field, format string, args ...any) *apiError {
	e := errorf(http.StatusBadRequest, ClassValidation, format, args...)
	e.Field = field
	return e
}

func notFound(format string, args ...any) *apiError {
	return errorf(http.StatusNotFound, ClassNotFound, format, args...)
}

// tooMany is a 429 that tells the client when to try again.
func tooMany(after time.Duration, format string, args ...any) *apiError {
	e := errorf(http.StatusTooManyRequests, ClassRateLimited, format, args...)
	e.RetryAfter = after
	return e
}

// writeError writes e as the error body.
func writeError(w http.ResponseWriter, e *apiError) {
	if e.RetryAfter > 0 {
		secs := int64((e.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="arsenal-run"`)
	}
	writeJSON(w, e.Status, struct {
		Error *apiError `json:"error"`
	}{e})
}

// writeJSON writes v as the JSON body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b := jsonBufs.Get().(*jsonBuf)
	defer b.put()
	if err := b.enc.Encode(v); err != nil {
		b.buf.Reset()
		status = http.StatusInternalServerError
		fmt.Fprintf(&b.buf, `{"error":{"class":"internal","message":%q}}`+"\n", "cannot encode the answer: "+err.Error())
	}
	h := w.Header()
	h["Content-Type"] = jsonContentType
	if b.buf.Len() >= autoLength {
		h.Set("Content-Length", strconv.Itoa(b.buf.Len()))
	}
	h["X-Content-Type-Options"] = noSniff
	w.WriteHeader(status)
	w.Write(b.buf.Bytes())
}

// autoLength is the size under which net/http gives an answer's
// Content-Length itself (it does, under a few KB written at once without
// a flush), so that writeJSON makes none: most answers are this small.
// Longer ones would go chunked without the header.
const autoLength = 1024

// The values of the headers every JSON answer has, made once: the
// server copies a handler's headers when it writes them, and nothing
// changes a value in place.
var (
	jsonContentType = []string{"application/json"}
	noSniff         = []string{"nosniff"}
)

// jsonBuf is a buffer and its encoder, kept between answers: a new
// encoder and the growing of a new buffer were a share of every
// request's allocations.
type jsonBuf struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var jsonBufs = sync.Pool{New: func() any {
	b := &jsonBuf{}
	b.enc = json.NewEncoder(&b.buf)
	b.enc.SetEscapeHTML(false)
	return b
}}

// maxKeptBuf is the largest buffer kept for the next answer or body: a
// long list of runs is not held for the small answers that follow.
const maxKeptBuf = 64 << 10

func (b *jsonBuf) put() {
	if b.buf.Cap() > maxKeptBuf {
		return
	}
	b.buf.Reset()
	jsonBufs.Put(b)
}

// bodyTooLarge is the 413 of a body of n bytes (-1: it did not say how
// many, and more than max came) over the limit of max: it says the limit
// in the unit it is set in and what to do, since a client cannot raise it.
func bodyTooLarge(n, max int64) *apiError {
	limit := fmt.Sprintf("%d bytes", max)
	if max >= 1<<20 && max%(1<<20) == 0 {
		limit += fmt.Sprintf(" (%d MiB)", max>>20)
	}
	size := "the body is over the limit of " + limit
	if n >= 0 {
		size = fmt.Sprintf("the body is %d bytes, over the limit of %s", n, limit)
	}
	return errorf(http.StatusRequestEntityTooLarge, ClassValidation,
		"%s; send a smaller one: a value this large belongs in a file the playbook or the operation reads, not in the request", size)
}

// decodeStrict reads a JSON request body into v: the content type must be
// application/json, the body at most max bytes (413 past it), and the
// JSON one object (not null) with no unknown fields, no duplicate keys (anywhere in
// it) and nothing after it.
func decodeStrict(r *http.Request, max int64, v any) *apiError {
	ct := r.Header.Get("Content-Type")
	mt, params, err := ct, map[string]string(nil), error(nil)
	if ct != "application/json" { // what clients send, with nothing to parse
		mt, params, err = mime.ParseMediaType(ct)
	}
	if ct == "" {
		return badField("Content-Type", "the request has no Content-Type; send the JSON body with Content-Type: application/json")
	}
	if err != nil || mt != "application/json" {
		return badField("Content-Type", "Content-Type is %q; send the body as application/json", ct)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return badField("Content-Type", "charset %q: send the body as UTF-8 (Content-Type: application/json)", cs)
	}
	if r.ContentLength > max {
		return bodyTooLarge(r.ContentLength, max)
	}
	b := jsonBufs.Get().(*jsonBuf)
	defer b.put()
	_, err = b.buf.ReadFrom(http.MaxBytesReader(nil, r.Body, max))
	// Decoding copies what it keeps: data is not used past the return.
	data := b.buf.Bytes()
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return bodyTooLarge(-1, max)
		}
		return errorf(http.StatusBadRequest, ClassValidation, "cannot read the body: %v", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return errorf(http.StatusBadRequest, ClassValidation, "the body is empty; send a JSON object")
	}
	// Decoding leaves v as it was for a null: a run would start, an
	// operation execute, on a body that is no object.
	if string(bytes.TrimSpace(data)) == "null" {
		return errorf(http.StatusBadRequest, ClassValidation, "the request body: want a JSON object, like {%s}, not null", exampleMember(reflect.TypeOf(v)))
	}
	if err := jsonv2.Unmarshal(data, v, jsonv2.RejectUnknownMembers(true)); err != nil {
		return jsonError(err, data)
	}
	return exactNumbers(data)
}

// maxExactInt is the largest integer a JSON number decoded into an any
// (a float64) keeps exactly: 2^53 - 1.
const maxExactInt = 1<<53 - 1

// mayHoldInexactNumber reports whether data has what a number decoding
// would change needs: sixteen digits in a row (2^53 has sixteen) or an
// exponent (1e400). Text in strings may match too; exactNumbers then
// looks at the numbers alone.
func mayHoldInexactNumber(data []byte) bool {
	run := 0
	for i, c := range data {
		switch {
		case c >= '0' && c <= '9':
			if run++; run >= 16 {
				return true
			}
			continue
		case (c == 'e' || c == 'E') && run > 0 && i+1 < len(data):
			if n := data[i+1]; n == '+' || n == '-' || (n >= '0' && n <= '9') {
				return true
			}
		}
		run = 0
	}
	return false
}

// exactNumbers refuses a number that decoding changed: an integer beyond
// ±(2^53 - 1), which params and inputs (decoded as float64) would round
// (9007199254740993 ran as 9007199254740992), or one out of float64's
// range. A fraction's usual rounding (0.1) is not a change anyone meant.
func exactNumbers(data []byte) *apiError {
	if !mayHoldInexactNumber(data) {
		return nil // every request's path: no second pass over the body
	}
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil // the body decoded already: this is its end
		}
		if tok.Kind() != '0' {
			continue
		}
		text := tok.String()
		if !strings.ContainsAny(text, ".eE") {
			if n, err := strconv.ParseInt(text, 10, 64); err == nil && n >= -maxExactInt && n <= maxExactInt {
				continue
			}
			name := field(dec.StackPointer())
			return badField(name, "%s: %s is beyond the integers a request keeps exactly (±%d); give it as a string if it is an identifier", name, text, maxExactInt)
		}
		if _, err := strconv.ParseFloat(text, 64); err != nil {
			name := field(dec.StackPointer())
			return badField(name, "%s: %s is out of the range of numbers (about ±1.8e308)", name, text)
		}
	}
}

// jsonError explains a decoding error of data, naming the field where
// there is one, and for a syntax error where it is and what to fix.
func jsonError(err error, data []byte) *apiError {
	var syn *jsontext.SyntacticError
	var sem *jsonv2.SemanticError
	switch {
	case errors.As(err, &syn) && errors.Is(syn.Err, jsontext.ErrDuplicateName):
		return badField(field(syn.JSONPointer), "duplicate key %q at %s of the body; give each key once",
			syn.JSONPointer.LastToken(), bodyPosition(data, syn.ByteOffset))
	case errors.As(err, &syn):
		at := bodyPosition(data, syn.ByteOffset)
		if name := field(syn.JSONPointer); name != "" {
			return badField(name, "%s: %v at %s of the body; %s", name, syn.Err, at, syntaxHint(syn.Err))
		}
		return errorf(http.StatusBadRequest, ClassValidation, "the body is not one JSON value: %v at %s; %s", syn.Err, at, syntaxHint(syn.Err))
	case errors.As(err, &sem) && errors.Is(sem.Err, jsonv2.ErrUnknownName):
		name := sem.JSONPointer.LastToken()
		known := memberNames(sem.GoType)
		if len(known) == 0 {
			return badField(field(sem.JSONPointer), "unknown field %q", name)
		}
		return badField(field(sem.JSONPointer), "unknown field %q%s; this object takes %s", name, suggest.DidYouMean(name, known), strings.Join(known, ", "))
	case errors.As(err, &sem):
		want := "another type"
		if sem.GoType != nil {
			want = jsonKind(sem.GoType.Kind().String())
		}
		name := field(sem.JSONPointer)
		if name == "" {
			if want == "an object" {
				want = "a JSON object, like {" + exampleMember(sem.GoType) + "}"
			}
			return errorf(http.StatusBadRequest, ClassValidation, "the request body: want %s", want)
		}
		return badField(name, "%s: want %s", name, want)
	}
	return errorf(http.StatusBadRequest, ClassValidation, "bad JSON body: %v", err)
}

// field turns a JSON pointer (/operations/0/op) into a field path
// (operations[0].op).
func field(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil && b.Len() > 0 {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// exampleMember is a member of an object of type t to show in a hint:
// its first JSON field, as "name": ..., else "...".
func exampleMember(t reflect.Type) string {
	if names := memberNames(t); len(names) > 0 {
		return strconv.Quote(names[0]) + ": ..."
	}
	return "..."
}

// memberNames are the JSON names of the fields of an object of type t,
// in order; none unless t is a struct.
func memberNames(t reflect.Type) []string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}

func jsonKind(goKind string) string {
	switch goKind {
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "a list"
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	case "interface":
		return "a value"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "a whole number, like 10 (not 10.0 or 1e1)"
	}
	return "a number"
}
