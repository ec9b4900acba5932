package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/pkg/queue"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

func storeCommand() *command {
	return &command{
		name:    "store",
		summary: "migrate a PostgreSQL store, or show its schema version",
		synopsis: `store migrate [--state URL]
store status [--state URL] [--json]`,
		help: `Manage the PostgreSQL database that several run, schedule and serve processes
share (--state URL, default $ARSENAL_STATE). 'store migrate' brings its schema,
and the run queue's tables, to this release's version, under an advisory lock,
so that processes starting at once apply each migration once; run, schedule and
serve migrate on start too, unless their role may not create tables.
'store status' prints the schema version of the database and of this release,
and the migrations pending, the run queue's included. The password of the URL is
never printed. A state dir (--state-dir) needs neither: it is migrated when
opened.`,
		exits: "0 done; 1 the database could not be reached or migrated; 2 bad usage.",
		run:   runStore,
	}
}

// storeSubs are the subcommands of store.
var storeSubs = []string{"migrate", "status"}

func runStore(e *env, args []string) int {
	c := storeCommand()
	if len(args) == 0 {
		return usageError(e, c, "give a subcommand: migrate or status")
	}
	sub := args[0]
	switch sub {
	case "migrate", "status":
		args = args[1:]
	case "-h", "-help", "--help", "help":
		sub = "status"
	default:
		return usageError(e, c, "unknown subcommand %q%s; use migrate or status", args[0], suggest.DidYouMean(args[0], storeSubs))
	}
	for _, a := range args {
		if name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "="); strings.HasPrefix(a, "-") && name == "state-dir" {
			return usageError(e, c, "store works on a shared PostgreSQL database, given with --state URL; a state dir (--state-dir) is migrated when run, schedule, serve or history opens it, and needs no 'store'")
		}
	}
	fs := newFlags(e, c)
	var url string
	fs.StringVar(&url, "state", "", "the PostgreSQL database `URL` (default $ARSENAL_STATE)")
	asJSON := false
	if sub == "status" {
		fs.BoolVar(&asJSON, "json", false, "print JSON (status only)")
	}
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return fs.usageError("store %s takes no arguments, only flags", sub)
	}
	sf := stateFlags{url: url}
	spec, ok := sf.spec(fs, false)
	if !ok {
		return ExitUsage
	}
	if !spec.Postgres() {
		return fs.usageError("give the database with --state URL or $ARSENAL_STATE; a state dir needs no migration")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ctx = postgres.WithNotice(ctx, func(msg string) { e.errorf("store %s: %s: %s", sub, spec, msg) })
	pool, err := postgres.Connect(ctx, spec.URL, 2)
	if err != nil {
		e.errorf("store %s: %s", sub, sf.errorText(spec, err))
		return ExitFailed
	}
	defer pool.Close()
	if sub == "migrate" {
		n, err := postgres.Migrate(ctx, pool)
		nq := 0
		if err == nil {
			nq, err = queue.Migrate(ctx, pool)
		}
		if err != nil {
			msg := sf.errorText(spec, err)
			if postgres.PermissionDenied(err) {
				msg += "; the role of the URL may not create tables: run 'arsenal-run store migrate' again with the URL of a role that may (the database's owner, or an administrator's)"
			}
			e.cmdErrorf("store migrate", "%s", msg)
			return ExitFailed
		}
		fmt.Fprintf(e.stdout, "%s: applied %s; the schema is at version %d\n", spec, plural(n, "migration", "migrations"), postgres.SchemaVersion)
		if nq > 0 {
			fmt.Fprintf(e.stdout, "%s: applied %s of the run queue's tables\n", spec, plural(nq, "migration", "migrations"))
		}
		return ExitOK
	}
	st, err := postgres.ReadStatus(ctx, pool)
	if err != nil {
		e.cmdErrorf("store status", "%s", sf.errorText(spec, err))
		return ExitFailed
	}
	// serve migrates the run queue's tables on start, as it does the
	// schema: a role that may not create tables needs 'store migrate'
	// for either, so "up to date" takes both.
	queuePending, err := queue.Pending(ctx, pool)
	if err != nil {
		e.cmdErrorf("store status", "%s", sf.errorText(spec, err))
		return ExitFailed
	}
	if asJSON {
		out := struct {
			Database string `json:"database"`
			postgres.Status
			Pending      int `json:"pending"`
			QueuePending int `json:"queue_pending"`
		}{spec.String(), st, st.Pending(), queuePending}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return ExitFailed
		}
		return ExitOK
	}
	fmt.Fprintf(e.stdout, "database: %s\nschema version: %d (this release: %d)\n", spec, st.Version, st.Latest)
	switch {
	case st.Version > st.Latest:
		fmt.Fprintln(e.stdout, "the database is newer than this release: use a newer arsenal-run")
	case st.Pending() > 0 || queuePending > 0:
		var what []string
		if st.Pending() > 0 {
			what = append(what, plural(st.Pending(), "migration", "migrations")+" of the schema")
		}
		if queuePending > 0 {
			what = append(what, plural(queuePending, "migration", "migrations")+" of the run queue's tables")
		}
		fmt.Fprintf(e.stdout, "pending: %s; run '%s store migrate'\n", strings.Join(what, " and "), program)
	default:
		fmt.Fprintln(e.stdout, "up to date")
	}
	return ExitOK
}
