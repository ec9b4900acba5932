package cli

import (
	"fmt"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
)

// watchSafe has a daemon's log say which directories
// $ARSENAL_SAFE_DIRECTORIES names, what of it is ignored, and, once each,
// every file or directory trusted only because it names it (a policy in a
// workspace another user owns, say): what the owner checks would refuse
// is not passed in silence. The returned func stops the watch.
func watchSafe(log zerolog.Logger) (stop func()) {
	if dirs := fsx.Safe(); len(dirs) > 0 {
		log.Info().Strs("dirs", dirs).Msgf("$%s: the files in these directories are trusted whoever owns them, or whichever group may write them", fsx.SafeEnv)
	}
	if p := fsx.SafeProblem(); p != "" {
		log.Warn().Msg(p)
	}
	return fsx.OnSafeUse(func(u fsx.SafeUse) {
		log.Info().Str("path", u.Path).Str("safe_directory", u.Entry).
			Msgf("trusting %s, %s, as $%s names %s", u.Path, u.Why, fsx.SafeEnv, u.Entry)
	})
}

// watchSafe has run say, once each and at info, every file or directory
// it trusts only because $ARSENAL_SAFE_DIRECTORIES names it, as a
// daemon's log does: a CI log then shows whose workspace the policy or
// playbook of a run as root came from. The live view, at error unless
// --log-level says otherwise, leaves it out. The returned func stops the
// watch.
func (r *runner) watchSafe() (stop func()) {
	if min, _ := r.logLevel(); zerolog.InfoLevel < min {
		return func() {}
	}
	return fsx.OnSafeUse(func(u fsx.SafeUse) {
		msg := fmt.Sprintf("trusting %s, %s, as $%s names %s", u.Path, u.Why, fsx.SafeEnv, u.Entry)
		r.notice(zerolog.InfoLevel, program+": "+msg+"\n", msg, str("path", u.Path), str("safe_directory", u.Entry))
	})
}
