package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

func cacheCommand() *command {
	return &command{
		name:    "cache",
		summary: "list or clear the result cache of steps that set cache:",
		synopsis: `cache list [--playbook P] [--op O] [--json] [--state-dir DIR | --state URL]
cache clear [--playbook P] [--op O] [--state-dir DIR | --state URL]`,
		help: `Steps with a cache: setting keep their results in the state dir, shared by
every run and process that uses it. 'cache list' shows the entries, newest
first: their key (a hash; parameters are never stored), op, playbook and step,
age and expiry. Expired entries are misses and are listed until cleared.
'cache clear' removes the entries of a playbook, an op, both, or all.`,
		exits: "0 done; 1 the cache could not be read or cleared; 2 bad usage or no readable state dir.",
		run:   runCache,
	}
}

// cacheSubs are the subcommands of cache.
var cacheSubs = []string{"list", "clear"}

func runCache(e *env, args []string) int {
	c := cacheCommand()
	if len(args) == 0 {
		return usageError(e, c, "give a subcommand: list or clear")
	}
	sub := args[0]
	switch sub {
	case "list", "clear":
		args = args[1:]
	case "-h", "-help", "--help", "help":
		sub = "list" // its flags are those of clear and --json
	default:
		return usageError(e, c, "unknown subcommand %q%s; use list or clear", args[0], suggest.DidYouMean(args[0], cacheSubs))
	}
	fs := newFlags(e, c)
	playbook := fs.String("playbook", "", "only the entries of playbook `P`")
	op := fs.String("op", "", "only the entries of operation `O`")
	var sf stateFlags
	sf.addForReading(fs, readStateDirUsage)
	asJSON := false
	if sub == "list" {
		fs.BoolVar(&asJSON, "json", false, "print JSON (list only)")
	}
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return fs.usageError("cache %s takes no arguments, only flags", sub)
	}
	spec, ok := sf.spec(fs, true)
	if !ok {
		return ExitUsage
	}
	if !spec.Postgres() {
		// No run has recorded in the dir yet: its cache is empty (a dir
		// that is not a directory, or that this user may not enter, is
		// openStore's to say).
		if _, err := os.Stat(filepath.Join(spec.Dir, history.FileName)); errors.Is(err, os.ErrNotExist) {
			return emptyCache(e, sub, asJSON, spec.Dir)
		}
	}
	store, code := openStore(e, c, spec)
	if store == nil {
		return code
	}
	defer store.Close()
	ctx := context.Background()
	f := history.CacheFilter{Playbook: *playbook, Op: *op}
	if sub == "clear" {
		n, err := store.CacheClear(ctx, f)
		if err != nil {
			e.cmdErrorf("cache clear", "%s: %v; nothing was removed", stateName(spec), err)
			return ExitFailed
		}
		fmt.Fprintf(e.stdout, "removed %s\n", plural(int(n), "cache entry", "cache entries"))
		if n == 0 {
			cacheFilterHint(ctx, e, store, f)
		}
		return ExitOK
	}
	list, err := store.CacheList(ctx, f)
	if err != nil {
		e.cmdErrorf("cache list", "%s: %v", stateName(spec), err)
		return ExitFailed
	}
	if asJSON {
		if list == nil {
			list = []history.CacheInfo{}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(list); err != nil {
			return ExitFailed
		}
		return ExitOK
	}
	if len(list) == 0 {
		fmt.Fprintln(e.stdout, "no cache entries")
		cacheFilterHint(ctx, e, store, f)
		return ExitOK
	}
	now := time.Now()
	t := &table{header: []string{"KEY", "OP", "PLAYBOOK", "STEP", "AGE", "EXPIRES", "SIZE"}}
	for _, ci := range list {
		expires := "in " + round(ci.ExpiresAt.Sub(now))
		if !ci.ExpiresAt.After(now) {
			expires = "expired"
		}
		t.add(ci.Key[:min(12, len(ci.Key))], ci.Op, ci.Playbook, ci.Step, round(now.Sub(ci.CreatedAt)), expires, fmt.Sprintf("%d B", ci.Size))
	}
	t.write(e.stdout, e.paletteFor(e.stdout))
	return ExitOK
}

// emptyCache answers cache sub for the state dir dir that no run has
// recorded in: no entries to list or clear, and where runs record them.
func emptyCache(e *env, sub string, asJSON bool, dir string) int {
	switch {
	case sub == "clear":
		fmt.Fprintln(e.stdout, "removed 0 cache entries")
	case asJSON:
		fmt.Fprintln(e.stdout, "[]")
	default:
		fmt.Fprintln(e.stdout, "no cache entries")
	}
	fmt.Fprintf(e.stderr, "%s cache: no run has recorded anything in %s yet; runs cache their steps there with 'run --state-dir %s' (or $ARSENAL_STATE_DIR)\n", program, dir, dir)
	return ExitOK
}

func round(d time.Duration) string {
	return report.FormatMS(max(d, 0).Milliseconds())
}

// cacheFilterHint tells, on stderr, of a --playbook or --op that no entry
// has, with the closest name that one has: a typo otherwise reads as an
// empty cache, or a clear that removed nothing. An empty cache, and
// names each some entry has but none both, are said as such.
func cacheFilterHint(ctx context.Context, e *env, s store.Store, f history.CacheFilter) {
	if f.Playbook == "" && f.Op == "" {
		return
	}
	all, err := s.CacheList(ctx, history.CacheFilter{})
	if err != nil {
		return
	}
	var given []string
	if f.Playbook != "" {
		given = append(given, fmt.Sprintf("--playbook %q", f.Playbook))
	}
	if f.Op != "" {
		given = append(given, fmt.Sprintf("--op %q", f.Op))
	}
	if len(all) == 0 {
		fmt.Fprintf(e.stderr, "%s cache: no entry has %s: the cache is empty\n", program, strings.Join(given, " or "))
		return
	}
	playbooks, ops := map[string]bool{}, map[string]bool{}
	for _, ci := range all {
		playbooks[ci.Playbook], ops[ci.Op] = true, true
	}
	told := false
	for _, c := range []struct {
		flag, given string
		have        map[string]bool
	}{{"--playbook", f.Playbook, playbooks}, {"--op", f.Op, ops}} {
		if c.given == "" || c.have[c.given] {
			continue
		}
		names := slices.Sorted(maps.Keys(c.have))
		fmt.Fprintf(e.stderr, "%s cache: no entry has %s %q%s; the entries are of %s\n", program, c.flag, c.given, suggest.DidYouMean(c.given, names), strings.Join(names, ", "))
		told = true
	}
	if !told && len(given) == 2 {
		fmt.Fprintf(e.stderr, "%s cache: no entry has both %s; give one of them alone to see its entries\n", program, strings.Join(given, " and "))
	}
}
