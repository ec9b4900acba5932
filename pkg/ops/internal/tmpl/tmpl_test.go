package tmpl

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRender(t *testing.T) {
	values := map[string]any{
		"port": 8080, "host": "api.internal", "ratio": 0.25, "debug": false, "none": nil,
		"backends": []any{"a:1", "b:2"}, "limits": map[string]any{"rps": 100},
	}
	tests := []struct{ src, want string }{
		{"no expressions\n", "no expressions\n"},
		{"listen ${{ values.port }}\n", "listen 8080\n"},
		{"${{values.host}}:${{ values.port + 1 }}", "api.internal:8081"},
		{"ratio=${{ values.ratio }} debug=${{ values.debug }} none=[${{ values.none }}]", "ratio=0.25 debug=false none=[]"},
		{"${{ values.backends }} ${{ values.limits }}", `["a:1","b:2"] {"rps":100}`},
		{"${{ join(map(values.backends, {\"server \" + #}), \"\\n\") }}", "server a:1\nserver b:2"},
		{"${{ values.limits.rps > 50 ? \"high\" : \"low\" }}", "high"},
		{"literal $${{ values.port }}", "literal ${{ values.port }}"},
		{"braces ${{ {\"a\": {\"b\": 1}}.a.b }}", "braces 1"},
		{"${{ upper(replace(values.host, \".\", \"-\")) }}", "API-INTERNAL"},
	}
	for _, tc := range tests {
		tp, err := Compile("t", tc.src, values)
		if err != nil {
			t.Errorf("%q: %v", tc.src, err)
			continue
		}
		got, err := tp.Render(context.Background(), values)
		if err != nil {
			t.Errorf("%q: %v", tc.src, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tc.src, diff)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	values := map[string]any{"port": 80, "host": "h"}
	tests := []struct{ src, want string }{
		{"a\nb ${{ values.prot }}", "t:2:7: expression `values.prot`: unknown value \"prot\" (did you mean \"port\"?); values has host, port"},
		{"x ${{ values.port", "t:1:3: ${{ is not closed by }}"},
		{"${{ }}", "t:1:5: empty expression"},
		{"${{ inputs.x }}", "t:1:5: expression `inputs.x`: unknown name inputs"},
		{"${{ $env }}", "$env is not available"},
		{`${{ repeat("x", 1000000) }}`, "repeat is not available in templates"},
		{`${{ reduce([1,2], #acc + #) }}`, "reduce is not available in templates"},
		{"${{ values.port + }}", "t:1:"},
		{"${{ " + strings.Repeat("1+", 3000) + "1 }}", "over the limit of 4096"},
	}
	for _, tc := range tests {
		_, err := Compile("t", tc.src, values)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to contain %q", tc.src, err, tc.want)
		}
	}
}

func TestRenderBounds(t *testing.T) {
	values := map[string]any{"s": strings.Repeat("x", 2000)}
	tests := []struct{ src, want string }{
		{`${{ replace(values.s, "x", values.s) }}`, "replace would build a 4000000-byte string"},
		{`${{ map(1..10000000, {values.s}) }}`, "expression `map(1..10000000, {values.s})` built more than 1000000 items, over the limit of one evaluation's memory; use a smaller range or list"},
		{`${{ len(1..1000000) }}`, ""}, // the limit itself fits
		{`${{ 1 / 0 > 1 ? values.s : "" }}${{ values.nope }}`, "unknown value"},
	}
	for _, tc := range tests {
		tp, err := Compile("t", tc.src, values)
		if err == nil {
			_, err = tp.Render(context.Background(), values)
		}
		if tc.want == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.src, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.src, err, tc.want)
		}
	}
	big := strings.Repeat("${{ values.s }}", MaxOutput/2000+10)
	tp, err := Compile("t", big, values)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tp.Render(context.Background(), values); err == nil || !strings.Contains(err.Error(), "rendered text is over") {
		t.Errorf("an output over MaxOutput: %v", err)
	}
}

// TestListFunctionOverNullSaysWhat: a list function given a null value
// names the function and what it got, not expr's reflect panic.
func TestListFunctionOverNullSaysWhat(t *testing.T) {
	values := map[string]any{"hosts": nil}
	tp, err := Compile("t", "port: ${{ all(values.hosts, # != \"\") }}\n", values)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tp.Render(context.Background(), values)
	if err == nil || !strings.Contains(err.Error(), "all() was given null, not a list") || strings.Contains(err.Error(), "reflect") {
		t.Errorf("got %v, want the function named and no reflect", err)
	}
}

// TestRenderErrorNamesTemplatePlace: an expression that fails when it is
// rendered is named by the template's line and column of the part that
// failed, not by its place in the expression, " (1:20)", which a reader
// of the template cannot find.
func TestRenderErrorNamesTemplatePlace(t *testing.T) {
	values := map[string]any{"n": 1, "s": "x"}
	src := "# generated\nlimit: ${{ values.n * 2 + values.s }}\n"
	tp, err := Compile("app.conf.tmpl", src, values)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tp.Render(context.Background(), values)
	// The + that failed: line 2, after "limit: ${{ values.n * 2 ".
	want := "app.conf.tmpl:2:25: expression `values.n * 2 + values.s`: + was given an integer and a string; to join them as text, convert the number with string(x)"
	if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "(1:") {
		t.Errorf("got %v\nwant it to start %q, without the expression's (1:N)", err, want)
	}
}

// An expression can loop for seconds within its work budget, and a
// template may hold thousands: a cancelled render (the step's timeout, a
// cancel) stops within the expression it is in, with the context's cause,
// rather than running on after the step was abandoned.
func TestRenderStopsWhenCancelled(t *testing.T) {
	cause := errors.New("step timeout of 1s exceeded")
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	stops := 0
	values := map[string]any{"stop": func() bool { stops++; cancel(cause); return true }}
	// Over the work budget in full, so that a render that ran it to its
	// end would fail with another error.
	src := "${{ values.stop() && sum(1..20, let r = 1..5000; sum(r, sum(r, #))) > 0 }}\n${{ values.stop() }}\n"
	tp, err := Compile("t", src, values)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tp.Render(ctx, values); !errors.Is(err, cause) {
		t.Fatalf("got %v, want the context's cause", err)
	}
	if stops != 1 {
		t.Errorf("%d expressions ran after the first cancelled the render, want none", stops-1)
	}
}
