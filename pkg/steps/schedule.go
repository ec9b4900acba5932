package steps

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/internal/cronzone"
)

var (
	scheduleKeys = []string{"cron", "timezone", "overlap", "jitter", "catchup", "starting_deadline"}
	overlaps     = []string{"skip", "queue", "allow", "replace"}
	catchups     = []string{"none", "last"}
	tzRE         = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9][A-Za-z0-9_+-]*)*$`)
)

// cronParser accepts 5 fields, 6 with seconds first, and @descriptors.
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// cronDescriptors are the @ forms cronParser takes.
var cronDescriptors = []string{"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly", "@every"}

// MinEvery is the shortest @every interval.
const MinEvery = time.Second

// MaxEvery is the longest @every interval: a cron spec that fires less
// often than once in five years is refused as never firing, and @every
// is held to the same.
const MaxEvery = 5 * 365 * 24 * time.Hour

// durationForm is the form of a Go duration, whatever its size.
var durationForm = regexp.MustCompile(`^[-+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$`)

// ParseCron parses a cron spec the way a playbook's schedule.cron is read,
// refusing the forms robfig/cron mishandles: CRON_TZ=/TZ= prefixes (use
// timezone), @every below one second, negative or with a fraction of a
// second, and specs that never fire. now is the time from which "never
// fires" is judged. The schedule it returns knows no time zone and no
// daylight-saving rule; pkg/scheduler turns it into fire times.
func ParseCron(spec string, loc *time.Location, now time.Time) (cron.Schedule, string) {
	s := strings.TrimSpace(spec)
	if strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ=") {
		return nil, tzPrefixProblem(s)
	}
	if rest, ok := strings.CutPrefix(s, "@every"); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil && durationForm.MatchString(strings.TrimSpace(rest)) {
			// Well formed, and beyond a Go duration (about 292 years):
			// too long, or too short, rather than no duration.
			d, err = MaxEvery+time.Second, nil
			if strings.HasPrefix(strings.TrimSpace(rest), "-") {
				d = -1
			}
		}
		if err != nil {
			arg := strings.TrimSpace(rest)
			if h := InHours(arg); h != "" {
				return nil, fmt.Sprintf("@every %s: days and weeks are no unit of a duration; write @every %s", arg, h)
			}
			return nil, "@every needs a duration, like @every 5m"
		}
		if d < MinEvery {
			return nil, "@every " + strings.TrimSpace(rest) + " is below the minimum of 1s; write @every 1s or a longer interval, like @every 5m"
		}
		if d > MaxEvery {
			return nil, "@every " + strings.TrimSpace(rest) + " is more than five years (43800h), so its first slot would be years away; write a cron spec for a date, like 0 3 1 1 * for every 1 January"
		}
		if d%time.Second != 0 {
			// robfig/cron drops the fraction without a word.
			return nil, "@every " + strings.TrimSpace(rest) + " is not a whole number of seconds; write it as @every " + ShortDuration(d.Truncate(time.Second)) + " or @every " + ShortDuration(d.Truncate(time.Second)+time.Second)
		}
	}
	if p := questionMark(spec, s); p != "" {
		return nil, p
	}
	sched, err := cronParser.Parse(s)
	if err != nil {
		if dowSeven(s) {
			return nil, fmt.Sprintf("cron %q: day of week 7 is out of range; write 0 or SUN for Sunday (days of week are 0–6 or SUN–SAT)", spec)
		}
		return nil, cronWords(spec, s, err)
	}
	if sched.Next(now.In(loc)).IsZero() {
		return nil, fmt.Sprintf("cron %q never fires (no matching date in the next five years, like 30 February); "+
			"make its day-of-month and month fields meet on a real date (0 0 28 2 * for 28 February), or remove the schedule: block", spec)
	}
	return sched, ""
}

// tzPrefixProblem is the message for a spec with a TZ= or CRON_TZ= prefix
// (robfig/cron reads it, but the zone belongs in schedule.timezone, which
// validation checks): the two keys to write instead.
func tzPrefixProblem(spec string) string {
	const msg = "set the time zone with schedule.timezone, not a TZ= prefix in cron"
	_, zone, _ := strings.Cut(spec, "=")
	zone, rest, _ := strings.Cut(zone, " ")
	rest = strings.TrimSpace(rest)
	if zone == "" || rest == "" {
		return msg
	}
	if _, err := time.LoadLocation(zone); err != nil || !tzRE.MatchString(zone) || zone == "Local" {
		// Moved to timezone, it would be refused there.
		return fmt.Sprintf("%s: write cron: %q and a timezone; %q is no time zone%s", msg, rest, yamlx.Truncate(zone, 60), zoneHint(zone))
	}
	out := fmt.Sprintf("%s: write timezone: %s and cron: %q", msg, zone, rest)
	if w := etcOffsetWarning(zone); w != "" {
		out += "; mind the sign: " + strings.TrimPrefix(w, "timezone ")
	}
	return out
}

// dowSeven reports whether the day-of-week field of a 5- or 6-field spec
// uses 7 as a value, the end of a range or the start of a step (7, 5-7,
// 1,7, 7/2). Some crons read 7 as Sunday; robfig/cron, like Kubernetes and
// GitHub Actions, takes 0-6 only.
func dowSeven(spec string) bool {
	f := strings.Fields(spec)
	if len(f) != 5 && len(f) != 6 {
		return false
	}
	for _, part := range strings.Split(f[len(f)-1], ",") {
		rng, _, _ := strings.Cut(part, "/")
		for _, end := range strings.Split(rng, "-") {
			if n, err := strconv.Atoi(end); err == nil && n == 7 {
				return true
			}
		}
	}
	return false
}

func (l *loader) decodeSchedule(n *yaml.Node) {
	sc := &Schedule{Pos: yamlx.PosOf(yamlx.Deref(n)), Overlap: "skip", Catchup: "none", Location: time.UTC}
	if d := yamlx.Deref(n); d.Kind == yaml.ScalarNode && d.ShortTag() == "!!str" && strings.TrimSpace(d.Value) != "" {
		// The form other runners take (schedule: "0 3 * * *").
		l.d.Add(sc.Pos, "schedule is a mapping, not a cron spec alone; write it as schedule: {cron: %q}", everyFix(d.Value))
		return
	}
	var cronNode *yaml.Node
	var jitterPos Pos
	cronIsText := false
	yamlx.Fields(n, "schedule", scheduleKeys, l.d, func(key string, k, v *yaml.Node) {
		switch key {
		case "cron":
			cronNode = v
			sc.Cron, cronIsText = yamlx.Str(v, "schedule.cron", l.d)
		case "timezone":
			tz, ok := yamlx.Str(v, "schedule.timezone", l.d)
			if !ok {
				return
			}
			if strings.TrimSpace(tz) == "" {
				// time.LoadLocation takes "" for UTC, the default: a key
				// left empty is more likely a value that went missing.
				l.d.Add(yamlx.PosOf(v), "schedule.timezone is empty; remove the key for UTC (the default), or write an IANA name like Europe/Berlin")
				return
			}
			loc, err := time.LoadLocation(tz)
			if !tzRE.MatchString(tz) || strings.Contains(tz, "..") || tz == "Local" || err != nil {
				l.d.Add(yamlx.PosOf(v), "unknown time zone %q%s", yamlx.Truncate(tz, 60), zoneHint(tz))
				return
			}
			sc.Timezone, sc.Location = tz, loc
			if w := etcOffsetWarning(tz); w != "" {
				l.d.Warn(yamlx.PosOf(v), "%s", w)
			}
		case "overlap":
			if s, ok := yamlx.Str(v, "schedule.overlap", l.d); ok {
				if !yamlx.Contains(overlaps, s) {
					l.d.Add(yamlx.PosOf(v), "unknown overlap %q%s; use one of %s", s, settingHint(s, overlaps, overlapSynonyms), strings.Join(overlaps, ", "))
				}
				sc.Overlap = s
			}
		case "catchup":
			if s, ok := yamlx.Str(v, "schedule.catchup", l.d); ok {
				if !yamlx.Contains(catchups, s) {
					l.d.Add(yamlx.PosOf(v), "unknown catchup %q%s; use one of %s", s, settingHint(s, catchups, catchupSynonyms), strings.Join(catchups, ", "))
				}
				sc.Catchup = s
			}
		case "jitter":
			sc.Jitter, _ = l.duration(v, "schedule.jitter")
			sc.JitterText = strings.TrimSpace(yamlx.Deref(v).Value)
			jitterPos = yamlx.PosOf(yamlx.Deref(v))
		case "starting_deadline":
			sc.StartingDeadline, _ = l.duration(v, "schedule.starting_deadline")
		}
	})
	if cronNode == nil {
		l.d.Add(sc.Pos, "schedule needs cron, like `cron: \"*/15 * * * *\"`")
		return
	}
	if strings.TrimSpace(sc.Cron) == "" {
		if cronIsText { // else what it is was reported
			l.d.Add(yamlx.PosOf(yamlx.Deref(cronNode)), "schedule.cron is empty; give a cron spec like \"*/15 * * * *\" or \"@every 1h\", or remove schedule: to run the playbook only by hand")
		}
		return
	}
	if _, problem := ParseCron(sc.Cron, sc.Location, time.Now()); problem != "" {
		l.d.Add(yamlx.PosOf(yamlx.Deref(cronNode)), "%s", problem)
		return
	}
	if problem := JitterProblem(sc, time.Now()); problem != "" {
		l.d.Add(jitterPos, "%s", problem)
	}
	l.pb.Schedule = sc
}

// intervalSamples is how many fire times JitterProblem looks at for a cron
// spec: enough to meet the short gap of specs like "0,50 * * * *" or
// "0 9,17 * * 1-5", cheap enough for every load.
const intervalSamples = 64

// JitterProblem says why sc's jitter cannot work with its cron spec, or
// "": a jitter at or above the time between two fire times pushes a slot's
// run past the next slot, so that slot is missed and the next one fires
// without its jitter. For a cron spec the gap is the shortest among its
// next fire times after now. The message names schedule.jitter and what to
// do; the caller adds the position.
func JitterProblem(sc *Schedule, now time.Time) string {
	if sc == nil || sc.Jitter <= 0 {
		return ""
	}
	loc := sc.Location
	if loc == nil {
		loc = time.UTC
	}
	sched, problem := ParseCron(sc.Cron, loc, now)
	if problem != "" {
		return "" // the cron spec's own problem is reported
	}
	gap := minGap(sched, loc, now)
	if gap == 0 || sc.Jitter < gap {
		return ""
	}
	jitter := ShortDuration(sc.Jitter)
	if d, err := time.ParseDuration(sc.JitterText); err == nil && d == sc.Jitter {
		jitter = sc.JitterText
	}
	return fmt.Sprintf("schedule.jitter %s is not shorter than the %s between fire times of cron %q: a run would start after the next slot, which is then missed; make jitter shorter than %s, or remove it",
		jitter, ShortDuration(gap), sc.Cron, ShortDuration(gap))
}

// minGap is the shortest time between two consecutive fire times of sched
// in loc among the next intervalSamples after from: the interval itself
// for @every; 0 when there are fewer than two. The fire times are the
// scheduler's (package cronzone): a wall-clock time the clock passes twice
// when it goes back fires once, so a daily spec is never an hour apart.
func minGap(sched cron.Schedule, loc *time.Location, from time.Time) time.Duration {
	if c, ok := sched.(cron.ConstantDelaySchedule); ok {
		return c.Delay
	}
	var gap time.Duration
	prev := cronzone.Next(sched, loc, from)
	for i := 0; i < intervalSamples && !prev.IsZero(); i++ {
		next := cronzone.Next(sched, loc, prev)
		if next.IsZero() {
			break
		}
		if d := next.Sub(prev); gap == 0 || d < gap {
			gap = d
		}
		prev = next
	}
	return gap
}

// overlapSynonyms and catchupSynonyms are the words of Kubernetes
// CronJobs (concurrencyPolicy Forbid, Allow, Replace), Rundeck and Dagu
// for an overlap or catch-up setting.
var (
	overlapSynonyms = map[string]string{"forbid": "skip", "forbidden": "skip", "wait": "queue", "enqueue": "queue", "concurrent": "allow", "parallel": "allow", "cancel": "replace"}
	catchupSynonyms = map[string]string{"no": "none", "skip": "none", "latest": "last", "yes": "last", "once": "last"}
)

// settingHint is the did-you-mean for s, a value that is none of values:
// the value in another case, the one another tool's word means, or the
// closest.
func settingHint(s string, values []string, synonyms map[string]string) string {
	lower := strings.ToLower(strings.TrimSpace(s))
	if yamlx.Contains(values, lower) {
		return suggest.Hint(lower)
	}
	if v, ok := synonyms[lower]; ok {
		return suggest.Hint(v)
	}
	return suggest.DidYouMean(lower, values)
}

// everyFix writes "every 5m", as people say it, as the @every 5m a cron
// spec takes; any other spec comes back as it is.
func everyFix(spec string) string {
	s := strings.TrimSpace(spec)
	if len(s) > 6 && strings.EqualFold(s[:6], "every ") {
		return "@every " + strings.TrimSpace(s[6:])
	}
	return spec
}
