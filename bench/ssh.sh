#!/usr/bin/env bash
# ssh.exec against OpenSSH's own connection sharing: 200 runs of `true` on
# one host through arsenal-run's connection pool, and 200 runs of
#   ssh -o ControlMaster=auto -o ControlPath=... -o ControlPersist=120 host true
# through one master connection, side by side in the same process, against
# one sshd that the benchmark starts on a loopback port with keys it makes.
# Then a 20-host fan-out: whole runs of a playbook with three foreach steps
# over inventory.hosts("fleet") at concurrency 10 (60 ssh.exec), through the
# run service, which fails unless each run logs in to each host once; beside
# it the same 60 commands with OpenSSH, 10 at a time, one ControlMaster per
# host. Needs sshd, ssh and ssh-keygen (Debian packages openssh-server and
# openssh-client). Prints milliseconds for 200 commands each and the ratio
# (target: ssh.exec at most 1.5 times the ControlMaster loop), and the
# milliseconds per fan-out run.
#
#   bench/ssh.sh             # 3 rounds of 200 + 200
#   ROUNDS=5 bench/ssh.sh
#   SKIP_FANOUT=1 bench/ssh.sh   # the 200-command comparison only
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
out=$(go test -run '^$' -bench 'BenchmarkExecVsControlMaster$' -benchtime "${rounds}x" ./pkg/ops/remote)
echo "$out" | grep -E '^(cpu|Benchmark)' || { echo "$out" >&2; exit 1; }
echo "$out" | python3 -c '
import re, sys
for line in sys.stdin:
    if line.startswith("BenchmarkExecVsControlMaster"):
        m = dict((u, float(v)) for v, u in re.findall(r"([\d.]+) (\S+)", line))
        ours, theirs, r = m["ms/200-ssh.exec"], m["ms/200-openssh-cm"], m["ratio"]
        verdict = "ok" if r <= 1.5 else "OVER"
        print(f"200 x true: ssh.exec {ours:.0f} ms, OpenSSH ControlMaster {theirs:.0f} ms, ratio {r:.2f} (target <= 1.5) {verdict}")
'
[ -n "${SKIP_FANOUT:-}" ] && exit 0
out=$(go test -run '^$' -bench 'BenchmarkFanOut20Hosts$' -benchtime "${rounds}x" ./pkg/runs)
echo "$out" | grep -E '^Benchmark' || { echo "$out" >&2; exit 1; }
echo "$out" | python3 -c '
import re, sys
for line in sys.stdin:
    if line.startswith("BenchmarkFanOut20Hosts"):
        m = dict((u, float(v)) for v, u in re.findall(r"([\d.]+) (\S+)", line))
        run, logins, cm = m["ms/run"], m["logins/run"], m["ms/openssh-cm"]
        print(f"20 hosts x 3 steps at concurrency 10: {run:.0f} ms per run, {logins:.0f} logins (one per host); OpenSSH, a ControlMaster per host: {cm:.0f} ms")
'
