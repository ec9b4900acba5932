package cli

import (
	"fmt"
	"time"
)

// window is the moments --since and --until stand for at now: zero when
// not given. It refuses a window whose end is not after its start, naming
// both as given and in UTC.
func window(since, until *durationFlag, now time.Time) (from, to time.Time, err error) {
	from, to = since.moment(now), until.moment(now)
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		like := "like --since 22h --until 21h"
		if to.Before(from) {
			// Given the other way round: the window they mean.
			like = fmt.Sprintf("so give them the other way round: --since %s --until %s", until.text, since.text)
		}
		return from, to, fmt.Errorf("--until %s (%s UTC) is not after --since %s (%s UTC): --since is where the window starts and --until where it ends, %s",
			until.text, to.UTC().Format("2006-01-02 15:04:05"), since.text, from.UTC().Format("2006-01-02 15:04:05"), like)
	}
	return from, to, nil
}
