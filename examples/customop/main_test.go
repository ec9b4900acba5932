package main

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestExampleRuns runs the example's playbook with its own operation.
func TestExampleRuns(t *testing.T) {
	rep, err := run(context.Background(), "count.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != report.StatusSucceeded {
		t.Fatalf("run %s: %+v", rep.Status, rep.Error)
	}
	if diff := cmp.Diff(map[string]any{"errors": 2, "lines": 4}, rep.Outputs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
}

// TestExampleValidates: text.count's params are checked at load time like
// any built-in's, its own ValidateParams included.
func TestExampleValidates(t *testing.T) {
	reg, err := newRegistry()
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	e, err := reg.Get("text.count")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Validate(map[string]any{"text": "a", "word": "two words"}, true); err == nil {
		t.Error("a word with a space was accepted")
	}
	if _, err := steps.Load("count.yaml", reg); err != nil {
		t.Errorf("the example playbook does not load: %v", err)
	}
}
