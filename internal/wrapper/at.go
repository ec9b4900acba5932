package wrapper

import (
	"path"
	"strings"
)

// atArgs are the options of at and batch that take a value (the rest of
// their item, or the next item): -q queue, -f file, -t time, -u user.
const atArgs = "qftu"

// atNoJob are the options with which at reads no job: it lists (-l),
// removes (-r, -d) or prints (-c) jobs, or reads the job from a file
// (-f FILE).
const atNoJob = "lrdcf"

// JobFromStdin reports whether argv ends in at or batch (by base name,
// as the program run, through wrappers) reading the shell commands of
// the job it queues from standard input: given no -f FILE and not asked
// to list, remove or print jobs. name is the program.
func JobFromStdin(argv []string) (name string, ok bool) {
	progs := Programs(argv)
	if len(progs) == 0 {
		return "", false
	}
	p := progs[len(progs)-1]
	name = path.Base(argv[p.At])
	if name != "at" && name != "batch" || p.Text != 0 {
		return "", false
	}
	for i := p.At + 1; i < len(argv); i++ {
		v := argv[i]
		if v == "--" || len(v) < 2 || v[0] != '-' {
			break
		}
		for j := 1; j < len(v); j++ {
			if strings.IndexByte(atNoJob, v[j]) >= 0 {
				return name, false
			}
			if strings.IndexByte(atArgs, v[j]) >= 0 {
				if j == len(v)-1 {
					i++
				}
				break
			}
		}
	}
	return name, true
}
