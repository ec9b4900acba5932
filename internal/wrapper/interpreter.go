package wrapper

import "strings"

// Interpreter is the name under which known knows the interpreter prog, a
// base name: prog itself, or prog without the version its name carries,
// as distributions install them side by side (python3.11 is python3,
// perl5.36 perl, ruby3.2 ruby, php8.2 php, pypy3 pypy). Only the
// families in versioned carry one: a host named node1 is no node. prog
// is returned when known knows no shorter name.
func Interpreter(prog string, known func(string) bool) string {
	if known(prog) {
		return prog
	}
	base := strings.TrimRight(prog, "0123456789.")
	if base == prog || base == "" || !versioned[base] {
		return prog
	}
	if i := strings.IndexByte(prog[len(base):], '.'); i > 0 && known(prog[:len(base)+i]) {
		return prog[:len(base)+i]
	}
	return base
}

// versioned are the interpreters whose names carry a version where
// distributions install them.
var versioned = map[string]bool{"python": true, "perl": true, "ruby": true, "php": true, "pypy": true, "ksh": true}
