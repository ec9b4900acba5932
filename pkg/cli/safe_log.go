package cli

import (
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
