package steps

import (
	"path/filepath"
	"testing"
)

func TestRetryOnNodeLoss(t *testing.T) {
	reg := testRegistry(t)
	on, err := Load(filepath.Join("..", "..", "testdata", "playbooks", "valid", "retry_on_node_loss.yaml"), reg)
	if err != nil {
		t.Fatal(err)
	}
	if !on.RetryOnNodeLoss {
		t.Error("retry_on_node_loss: true was not read")
	}
	off, err := Load(filepath.Join("..", "..", "testdata", "playbooks", "valid", "anchors.yaml"), reg)
	if err != nil {
		t.Fatal(err)
	}
	if off.RetryOnNodeLoss {
		t.Error("a playbook that does not opt in is rerun on node loss")
	}
}
