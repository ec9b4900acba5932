package cli

// helpExtras are, for each command, the command lines its --help shows to
// copy (each under a "# what it does" line) and where its documentation
// is. A test runs every example's flags past the command's parser and
// checks that each documentation section exists.
var helpExtras = map[string]struct{ examples, docs string }{
	"run": {`
# run with inputs, keeping a JSON report
arsenal-run run playbooks/hello.yaml --input who=team --report out/r.json
# see the steps and their order, running nothing
arsenal-run run playbooks/hello.yaml --list
# execute only read operations and check authorization for a role
arsenal-run run playbooks/nightly-maintenance.yaml --dry-run --role operator
# record the run in a history that 'history' and 'report show' read
arsenal-run run playbooks/hello.yaml --state-dir ~/.local/state/arsenal-run
# run again from where a failed run stopped
arsenal-run run playbooks/hello.yaml --resume out/r.json`,
		"docs/cli.md, under `run`; the playbook format in docs/playbooks.md"},
	"validate": {`
# check every playbook of a directory
arsenal-run validate playbooks/
# check for the steps a role may run, under a policy
arsenal-run validate playbooks/ --role oncall --policy policy.yaml
# annotate a pull request's files from a GitHub Actions job
arsenal-run validate playbooks/ --format github`,
		"docs/cli.md, under `validate`"},
	"ops": {`
# the operations of a category
arsenal-run ops list --category http
# what an operation takes and gives
arsenal-run ops describe shell.exec
# find an operation by what it does
arsenal-run ops search restart`,
		"docs/cli.md, under `ops`; each operation in docs/operations.md"},
	"report": {`
# a recorded run, by its id or a start of it
arsenal-run report show 20261207T223931 --state-dir ~/.local/state/arsenal-run
# a report file rendered as Markdown
arsenal-run report show out/report.json --format markdown`,
		"docs/cli.md, under `report`; the report's fields in docs/reports.md"},
	"history": {`
# the failed and cancelled runs of the last day
arsenal-run history --status failed,cancelled --since 24h
# one run's steps, by its id or a start of it
arsenal-run history show 20261207T223931`,
		"docs/cli.md, under `history`"},
	"stats": {`
# counts, error rates and latencies of the last hour
arsenal-run stats --since 1h`,
		"docs/cli.md, under `stats`"},
	"cache": {`
# the cached results of one playbook
arsenal-run cache list --playbook nightly-maintenance
# drop them, so that the next run computes them again
arsenal-run cache clear --playbook nightly-maintenance`,
		"docs/cli.md, under `cache`"},
	"store": {`
# create or upgrade the tables of a PostgreSQL store
arsenal-run store migrate --state postgres://arsenal@db/arsenal
# the schema version it is at
arsenal-run store status --state postgres://arsenal@db/arsenal`,
		"docs/cli.md, under `store`; a shared store in docs/ha.md"},
	"schedule": {`
# the next fire times, to check a cron spec and time zone
arsenal-run schedule playbooks/nightly-maintenance.yaml --next 5
# the fire times of each around a daylight-saving change
arsenal-run schedule playbooks/ --next 3 --from 2027-03-28
# run every scheduled playbook of a directory
arsenal-run schedule playbooks/ --state-dir /var/lib/arsenal-run`,
		"docs/cli.md, under `schedule`; docs/scheduling.md"},
	"serve": {`
# serve the playbooks of a directory
arsenal-run serve --keys keys.yaml --state-dir state --playbooks playbooks/`,
		"docs/cli.md, under `serve`; docs/server.md"},
	"keys": {`
# a key for CI that the server refuses after 90 days
arsenal-run keys new --name ci --role operator --expires 90d`,
		"docs/cli.md, under `keys`"},
	"remote": {`
# start a served playbook and follow it to its end
arsenal-run remote --server https://ops.example run hello --follow
# the failed runs of the last day
arsenal-run remote --server https://ops.example runs --status failed`,
		"docs/cli.md, under `remote`; docs/server.md"},
	"schema": {`
# the JSON Schema of playbooks, for an editor
arsenal-run schema playbook > playbook.schema.json`,
		"docs/cli.md, under `schema`"},
	"version":    {"", "docs/cli.md, under `version`"},
	"completion": {"", "docs/cli.md, under `completion`"},
}
