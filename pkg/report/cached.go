package report

import (
	"fmt"
	"time"
)

// cacheNote says that a step's output, or some of its items' outputs,
// came from the result cache, and how old the entry was; "" otherwise.
func cacheNote(s *Step) string {
	if s.Cached {
		return "cached: output from an entry " + age(s.CacheAgeMS) + " old; the operation did not run"
	}
	n := 0
	for i := range s.Items {
		if s.Items[i].Cached {
			n++
		}
	}
	if n > 0 {
		return fmt.Sprintf("%d of %d items answered from the cache", n, len(s.Items))
	}
	return ""
}

// itemCacheNote is the note of an item whose output came from the result
// cache, as a step's (cacheNote) and as history show marks its row; "" for
// one that ran.
func itemCacheNote(it *Item) string {
	if !it.Cached {
		return ""
	}
	return "cached: output from an entry " + age(it.CacheAgeMS) + " old; the operation did not run"
}

func age(ms int64) string {
	return (time.Duration(ms) * time.Millisecond).Round(time.Second).String()
}

// resourcesNote describes the resources field of a step's output (what a
// local process used); "" when there is none.
func resourcesNote(output any) string {
	m, _ := output.(map[string]any)
	res, _ := m["resources"].(map[string]any)
	num := func(k string) (int64, bool) {
		switch v := res[k].(type) {
		case float64:
			return int64(v), true
		case int64:
			return v, true
		case int:
			return int64(v), true
		}
		return 0, false
	}
	user, ok1 := num("cpu_user_ms")
	sys, ok2 := num("cpu_sys_ms")
	rss, ok3 := num("max_rss_kb")
	if !ok1 || !ok2 || !ok3 {
		return ""
	}
	note := fmt.Sprintf("CPU %s user, %s system; peak memory %.1f MiB", FormatMS(user), FormatMS(sys), float64(rss)/1024)
	if sig, _ := res["signal"].(string); sig != "" {
		note += "; ended by " + sig
	}
	return note
}
