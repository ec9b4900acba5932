package httpreq

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestJSONNumbersKeptExact: a JSON answer's whole numbers come back as
// integers, exact up to the int64 range, as every operation returns
// numbers; read as float64, an id past 2^53 lost its last digits and a
// later step sent another id on.
func TestJSONNumbersKeptExact(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id": 1234567890123456789, "n": 3, "f": 2.5, "e": 1e3, "huge": 100000000000000000000000, "list": [9007199254740993]}`+"\n")
	})
	out, err := opstest.Execute(newRegistry(t), context.Background(), "http.request", map[string]any{"url": s.URL})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"id": 1234567890123456789, "n": 3, "f": 2.5, "e": 1000.0, "huge": 1e23, "list": []any{9007199254740993}}
	if diff := cmp.Diff(want, out["json"]); diff != "" {
		t.Errorf("json (-want +got):\n%s", diff)
	}
}

// TestJSONWithTrailingData: a body holding more than one JSON value is no
// JSON answer.
func TestJSONWithTrailingData(t *testing.T) {
	for body, want := range map[string]string{
		`{"a": 1} {"b": 2}`: "more than one value",
		`{"a": 1} x`:        "invalid character 'x'",
	} {
		s := server(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, body)
		})
		out, err := opstest.Execute(newRegistry(t), context.Background(), "http.request", map[string]any{"url": s.URL})
		if err != nil || out["json"] != nil || !strings.Contains(out["json_error"].(string), "not valid JSON: ") || !strings.Contains(out["json_error"].(string), want) {
			t.Errorf("%s: %v %v", body, out, err)
		}
	}
}

// TestOutputFieldsAreDeclared: every field of the output is one that
// 'ops describe' lists and a playbook may read: json_error was in the
// report, yet steps.x.output.json_error was refused by validate.
func TestOutputFieldsAreDeclared(t *testing.T) {
	declared := map[string]bool{}
	for _, f := range Spec().Output {
		declared[f.Name] = true
	}
	for _, body := range []string{`{"a": 1}`, `{"a":`} {
		s := server(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, body)
		})
		out, err := opstest.Execute(newRegistry(t), context.Background(), "http.request", map[string]any{"url": s.URL})
		if err != nil {
			t.Fatal(err)
		}
		for k := range out {
			if !declared[k] {
				t.Errorf("%s: the output has %s, which the spec does not declare", body, k)
			}
		}
		for k := range declared {
			if _, ok := out[k]; !ok {
				t.Errorf("%s: the output lacks the declared %s", body, k)
			}
		}
	}
}

// TestJSONCutSaysMaxBytes: a JSON answer longer than max_bytes is not
// decoded, and json_error says so and names max_bytes; it was null, so a
// playbook reading json met "json is null" with nothing pointing at the
// limit.
func TestJSONCutSaysMaxBytes(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"items": [`+strings.Repeat(`"abcdefgh",`, 20)+`"z"]}`)
	})
	out, err := opstest.Execute(newRegistry(t), context.Background(), "http.request", map[string]any{"url": s.URL, "max_bytes": 64})
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := out["json_error"].(string)
	if out["json"] != nil || out["truncated"] != true || !strings.Contains(msg, "(236 bytes) is longer than max_bytes (64)") || !strings.Contains(msg, "raise max_bytes") {
		t.Errorf("json %v, truncated %v, json_error %q", out["json"], out["truncated"], msg)
	}
}
