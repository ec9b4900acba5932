package engine

import "time"

func sleep(d time.Duration) <-chan time.Time { return time.After(d) }
