package steps

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
)

// zoneDirs are where Go's time package looks for the zone database, in
// its order.
var zoneDirs = []string{"/usr/share/zoneinfo/", "/usr/share/lib/zoneinfo/", "/usr/lib/locale/TZ/", "/etc/zoneinfo/"}

// zoneNames lists the IANA zone names of the system's zone database, for
// suggesting the one a misspelt name meant; none without one (Go then
// loads zones from its own copy, which cannot be listed, and the error
// goes without a suggestion). It is only called for a name that did not
// load.
func zoneNames() []string {
	dirs := zoneDirs
	if z := os.Getenv("ZONEINFO"); z != "" {
		dirs = append([]string{z}, dirs...)
	}
	for _, dir := range dirs {
		var names []string
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			name := filepath.ToSlash(strings.TrimPrefix(path, dir))
			name = strings.TrimPrefix(name, "/")
			// Zone names start with a capital letter; the database's
			// own files (zone.tab, leapseconds, posixrules) do not, and
			// right/ and posix/ repeat the zones.
			if name != "" && name[0] >= 'A' && name[0] <= 'Z' && tzRE.MatchString(name) {
				names = append(names, name)
			}
			return nil
		})
		if len(names) > 0 {
			return names
		}
	}
	return nil
}

// offsetZone matches a zone written as an offset from UTC, UTC+2 or
// GMT-05:00, which is no IANA name.
var offsetZone = regexp.MustCompile(`^(?i:UTC|GMT)\s*([+-])0?(\d{1,2})(?::?00)?$`)

// zoneHint ends a message about the unknown zone tz with what to write:
// for an offset like UTC+2, the Etc/GMT name whose sign is the other way
// round (as POSIX has it, Etc/GMT-2 is two hours ahead of UTC), or a
// place; otherwise the known name it may have meant and the form. A suggestion like GMT+0 for
// GMT+2 would move the schedule by the offset the user meant.
func zoneHint(tz string) string {
	m := offsetZone.FindStringSubmatch(tz)
	if m == nil {
		return suggest.DidYouMean(tz, zoneNames()) + "; use an IANA name like Europe/Berlin or UTC"
	}
	if m[2] == "0" {
		return "; write UTC"
	}
	etc := "+"
	if m[1] == "+" {
		etc = "-"
	}
	return fmt.Sprintf("; for a fixed UTC%s%s write Etc/GMT%s%s (its sign is the other way round, as POSIX has it), or better a place, like Europe/Berlin, to follow its daylight saving", m[1], m[2], etc, m[2])
}

// etcZone matches the fixed-offset zones Etc/GMT+N and Etc/GMT-N.
var etcZone = regexp.MustCompile(`^Etc/GMT([+-])(\d{1,2})$`)

// etcOffsetWarning is the warning for a zone like Etc/GMT+2, which POSIX
// signs the other way round (two hours behind UTC, not ahead), so that
// it is often written for the opposite offset; "" for any other zone.
func etcOffsetWarning(tz string) string {
	m := etcZone.FindStringSubmatch(tz)
	if m == nil || strings.TrimLeft(m[2], "0") == "" {
		return ""
	}
	n := strings.TrimLeft(m[2], "0")
	side, other, otherSide := "behind", "-", "ahead of"
	if m[1] == "-" {
		side, other, otherSide = "ahead of", "+", "behind"
	}
	hours := n + " hours"
	if n == "1" {
		hours = "1 hour"
	}
	return fmt.Sprintf("timezone %s is UTC%s%s, %s %s UTC: POSIX signs these zones the other way round; if you meant %s %s UTC, write Etc/GMT%s%s, or better a place, like Europe/Berlin, to follow its daylight saving", tz, other, n, hours, side, hours, otherSide, other, n)
}
