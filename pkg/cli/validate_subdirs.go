package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// noPlaybooksHint is what to do about a directory given to validate that
// holds no playbook of its own: its subdirectories are not read, so when
// some of them hold playbooks (a tree of teams' runbooks), they are named
// to be given instead.
func noPlaybooksHint(dir string) string {
	const most = 3
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "; give the playbook files, or the directory that holds them"
	}
	var subs []string
	more := 0
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		sub := filepath.Join(dir, e.Name())
		// Bounded: one playbook found tells enough, and more is an error.
		found, _, err := steps.DirPlaybooksMax(sub, 1)
		var many *steps.TooManyError
		if len(found) == 0 && !errors.As(err, &many) {
			continue
		}
		if len(subs) < most {
			subs = append(subs, sub)
		} else {
			more++
		}
	}
	if len(subs) == 0 {
		return "; give the playbook files, or the directory that holds them"
	}
	list := strings.Join(subs, " ")
	if more > 0 {
		list += " …"
	}
	return "; its subdirectories are not read: give those that hold playbooks, like " + list
}
