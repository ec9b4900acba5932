package steps

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"path/filepath"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// ReadInputs reads the playbook at path for its inputs alone, as a policy
// that grants it checks what it says about them: the inputs it declares,
// and the sha256 of the file. It never blocks on a FIFO. An error is the
// file's: it does not open (errors.Is fs.ErrNotExist when it is not
// there), or its inputs do not decode, which loading the playbook
// reports in full.
func ReadInputs(path string) ([]*Input, string, error) {
	f, err := fsx.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(data)
	dir, _ := filepath.Abs(filepath.Dir(path))
	l := &loader{d: &yamlx.Diags{File: path}, source: newSource(data), pb: &Playbook{File: path, Dir: dir}, ids: map[string]*Step{}, varIdx: map[string]int{}, sub: newSubLoads()}
	root := yamlx.Parse(data, limits, l.d)
	if root == nil {
		return nil, "", l.d.Err()
	}
	if pairs, ok := yamlx.Pairs(root, "the playbook", l.d); ok {
		for _, p := range pairs {
			if p.Key == "inputs" {
				l.decodeInputs(p.V)
			}
		}
	}
	if err := l.d.Err(); err != nil {
		return nil, "", err
	}
	return l.pb.Inputs, hex.EncodeToString(sum[:]), nil
}
