package steps

import (
	"io"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// stepSections are the top-level keys that hold steps.
var stepSections = []string{"steps", "on_success", "on_failure", "on_cancel", "finally", "notify"}

// StepPositions reads the playbook at path for where each of its steps
// is, by id, as Step.Pos has it: a report's step placed back in the file
// it came from, such as a sub-playbook that the run loaded on its own. It
// reads the file within the limits Load applies, never blocks on a FIFO
// and validates nothing else: a step whose id it cannot read is left out.
func StepPositions(path string) (map[string]Pos, error) {
	f, err := fsx.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	d := &yamlx.Diags{File: path}
	root := yamlx.Parse(data, limits, d)
	if root == nil {
		return nil, d.Err()
	}
	out := map[string]Pos{}
	root = yamlx.Deref(root)
	if root.Kind != yaml.MappingNode {
		return out, nil
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if yamlx.Contains(stepSections, root.Content[i].Value) {
			stepPositions(root.Content[i+1], out, true)
		}
	}
	return out, nil
}

// stepPositions adds the ids of the steps in the list n to out, and with
// rescue those of their rescue steps. Aliases are followed one step deep
// only, as a step written as an alias is: never into a list of them.
func stepPositions(n *yaml.Node, out map[string]Pos, rescue bool) {
	n = yamlx.Deref(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return
	}
	for _, item := range n.Content {
		s := yamlx.Deref(item)
		if s == nil || s.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(s.Content); i += 2 {
			k, v := s.Content[i].Value, yamlx.Deref(s.Content[i+1])
			switch {
			case k == "id" && v != nil && v.Kind == yaml.ScalarNode:
				if _, dup := out[v.Value]; !dup {
					out[v.Value] = yamlx.PosOf(s)
				}
			case k == "rescue" && rescue:
				stepPositions(v, out, false)
			}
		}
	}
}
