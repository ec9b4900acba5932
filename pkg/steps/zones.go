package steps

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
