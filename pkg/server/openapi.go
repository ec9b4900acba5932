package server

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/arsenal-run/arsenal-run/schema"
)

//go:embed openapi_schemas.json
var schemasJSON []byte

// OpenAPI returns the server's OpenAPI 3.1 document: every route of the
// route table with its parameters, body and answers, and the schemas of
// the bodies (the run report's is the report's own JSON Schema).
func (s *Server) OpenAPI() map[string]any {
	s.docOnce.Do(func() { s.doc = s.buildOpenAPI() })
	return s.doc
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request, _ *Principal) *apiError {
	if e := publicQuery(r); e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, s.OpenAPI())
	return nil
}

var pathParamRE = regexp.MustCompile(`\{([a-z]+)\}`)

func (s *Server) buildOpenAPI() map[string]any {
	var schemas map[string]any
	if err := json.Unmarshal(schemasJSON, &schemas); err != nil {
		panic("openapi_schemas.json: " + err.Error()) // embedded; a test reads it
	}
	var rep map[string]any
	b, _ := schema.Get("report")
	if err := json.Unmarshal(b, &rep); err != nil {
		panic("report schema: " + err.Error())
	}
	delete(rep, "$schema") // a resource inside the document; its $id scopes its $defs
	schemas["Report"] = rep

	paths := map[string]any{}
	for _, rt := range s.routes {
		item, _ := paths[rt.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.path] = item
		}
		item[strings.ToLower(rt.method)] = s.operation(rt)
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "arsenal-run API",
			"version":     s.cfg.Version,
			"description": "The REST API of arsenal-run serve: operations, playbook runs with live events, processes, supervisors, the cluster and statistics. Every request but /healthz, this document and the sign-in needs Authorization: Bearer KEY (or a client certificate mapped in the keys file, or the web console's session cookie). Errors are {\"error\": {\"class\", \"message\", \"rule\", \"field\"}}.",
		},
		"paths": paths,
		"components": map[string]any{
			"schemas": schemas,
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "An API key from 'arsenal-run keys new', listed by its SHA-256 in the keys file."},
				"mtls":   map[string]any{"type": "mutualTLS", "description": "A client certificate from --client-ca whose subject the keys file maps to roles."},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": cookieName,
					"description": "The web console's session, from POST /api/v1/session (named " + secureCookieName + " over TLS, or behind a TLS proxy with --secure-cookie). Its POST and DELETE requests must send the session's CSRF token as " + CSRFHeader + "."},
			},
		},
	}
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

// operation describes one route.
func (s *Server) operation(rt *route) map[string]any {
	op := map[string]any{
		"operationId": operationID(rt),
		"summary":     rt.summary,
		"tags":        []string{rt.tag},
	}
	var params []any
	for _, m := range pathParamRE.FindAllStringSubmatch(rt.path, -1) {
		typ := "string"
		if m[1] == "pid" {
			typ = "integer"
		}
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": typ}})
	}
	for _, q := range rt.query {
		params = append(params, map[string]any{"name": q.name, "in": "query", "description": q.desc, "schema": map[string]any{"type": q.typ}})
	}
	if rt.path == "/api/v1/runs/{id}/events" {
		params = append(params, map[string]any{"name": "Last-Event-ID", "in": "header", "description": "resume after this event id", "schema": map[string]any{"type": "integer"}})
	}
	if params != nil {
		op["parameters"] = params
	}
	if rt.body != "" {
		op["requestBody"] = map[string]any{"required": true,
			"content": map[string]any{"application/json": map[string]any{"schema": ref(rt.body)}}}
	}
	responses := map[string]any{}
	for code, schemaName := range rt.ok {
		ct := rt.contentType
		if ct == "" {
			ct = "application/json"
		}
		content := map[string]any{}
		switch {
		case schemaName != "":
			content[ct] = map[string]any{"schema": ref(schemaName)}
		case ct == "text/event-stream":
			content[ct] = map[string]any{"schema": map[string]any{"type": "string"}, "x-event-schema": ref("Event")}
		default:
			content[ct] = map[string]any{"schema": map[string]any{}}
		}
		responses[strconv.Itoa(code)] = map[string]any{"description": http.StatusText(code), "content": content}
	}
	codes := append([]int{}, rt.errors...)
	if !rt.public {
		// 503: a console session that the shared store cannot check
		// (see fromSession) is not trusted.
		codes = append(codes, 401, 429, 503)
		op["security"] = []any{map[string]any{"bearer": []any{}}, map[string]any{"mtls": []any{}}, map[string]any{"session": []any{}}}
	} else {
		op["security"] = []any{}
	}
	codes = append(codes, 500)
	sort.Ints(codes)
	for _, c := range codes {
		responses[strconv.Itoa(c)] = map[string]any{"description": http.StatusText(c),
			"content": map[string]any{"application/json": map[string]any{"schema": ref("Error")}}}
	}
	op["responses"] = responses
	return op
}

// operationID names a route: GET /api/v1/runs/{id}/events -> getRunsIdEvents.
func operationID(rt *route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.method))
	for _, part := range strings.Split(strings.TrimPrefix(rt.path, "/api/v1"), "/") {
		part = strings.Trim(part, "{}")
		part = strings.ReplaceAll(part, ".", "_")
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}
