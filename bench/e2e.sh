#!/usr/bin/env bash
# End-to-end comparisons of `arsenal-run run` against the shell doing the
# same work, measured in the same run so that both share the machine's state.
# Prints each pair's mean times and their ratio. Needs hyperfine (Debian
# package hyperfine) and GNU time (package time) for peak memory.
#
#   bench/e2e.sh            # all comparisons
#   RUNS=50 bench/e2e.sh    # more runs per command
set -euo pipefail

cd "$(dirname "$0")/.."
runs=${RUNS:-30}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for tool in hyperfine /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "bench/e2e.sh needs $tool (apt-get install -y hyperfine time)" >&2; exit 2; }
done

# Built as `make build` does: static, without the symbol table (a smaller
# binary maps and starts faster).
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$work/arsenal-run" ./cmd/arsenal-run
bin="$work/arsenal-run"

gen_noop() { # steps count
	printf 'version: 1\nname: noop-%s\nsteps:\n' "$1"
	for ((i = 0; i < $1; i++)); do printf '  - {id: s%d, op: control.noop}\n' "$i"; done
}
gen_true() { # steps count
	printf 'version: 1\nname: true-%s\nsteps:\n' "$1"
	for ((i = 0; i < $1; i++)); do printf '  - {id: s%d, op: shell.exec, with: {command: [/bin/true]}}\n' "$i"; done
}
gen_noop 1000 >"$work/noop1000.yaml"
gen_true 100 >"$work/true100.yaml"
printf 'version: 1\nname: hello\nsteps:\n  - {id: hello, op: control.log, with: {message: hello}}\n' >"$work/one.yaml"
printf 'version: 1\nname: fan\nsteps:\n  - {id: fan, op: shell.exec, foreach: "1..200", concurrency: 8, with: {command: [/bin/true]}}\n' >"$work/fan200.yaml"
printf 'version: 1\nname: fan100k\nsteps:\n  - {id: fan, op: control.noop, foreach: "0..99999", concurrency: 64}\n' >"$work/fan100k.yaml"

# compare NAME ENGINE_CMD FLOOR_CMD TARGET_RATIO: arsenal-run as users run it
# (default flags, output to a pipe), the same with --log-level error, and
# the shell floor, measured side by side in one hyperfine run.
compare() {
	local name=$1 ours=$2 floor=$3 target=$4
	hyperfine -N --output=pipe --runs "$runs" --warmup 3 --export-json "$work/$name.json" \
		-n floor "$floor" -n default "$ours" -n quiet "$ours --log-level error" >/dev/null
	python3 - "$work/$name.json" "$name" "$target" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
f, d, q = r["floor"]["mean"], r["default"]["mean"], r["quiet"]["mean"]
ratio = d / f
ok = "ok" if ratio <= float(sys.argv[3]) else "OVER"
print(f"{sys.argv[2]:<16} floor {f*1000:7.2f} ms  default {d*1000:7.2f} ms  ratio {ratio:5.2f} (target <= {sys.argv[3]}) {ok}"
      f"  | --log-level error {q*1000:7.2f} ms ({q/f:4.2f}x); logging costs {d/q:4.2f}x (target <= 1.3)")
PY
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
compare one-step "$bin run $work/one.yaml" "bash -c 'echo hello'" 2
compare noop-1000 "$bin run $work/noop1000.yaml" "bash -c 'for i in \$(seq 1000); do :; done'" 3
compare true-100 "$bin run $work/true100.yaml" "bash -c 'for i in \$(seq 100); do /bin/true; done'" 1.15
compare fanout-200-c8 "$bin run $work/fan200.yaml" "bash -c 'seq 200 | xargs -P 8 -n 1 /bin/true'" 1.1

/usr/bin/time -v "$bin" run "$work/fan100k.yaml" 2>"$work/time.txt" >/dev/null
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time.txt")
printf '%-28s wall %s  peak RSS %d MB (target < 2 s, < 300 MB)\n' "fanout-100k-c64 (whole run, default flags, log to a file)" "$wall" $((rss / 1024))
