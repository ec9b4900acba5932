#!/usr/bin/env bash
# ssh.exec against OpenSSH's own connection sharing: 200 runs of `true` on
# one host through arsenal-run's connection pool, and 200 runs of
#   ssh -o ControlMaster=auto -o ControlPath=... -o ControlPersist=120 host true
# through one master connection, side by side in the same process, against
# one sshd that the benchmark starts on a loopback port with keys it makes.
# Needs sshd, ssh and ssh-keygen (Debian packages openssh-server and
# openssh-client). Prints milliseconds for 200 commands each and the ratio
# (target: ssh.exec at most 1.5 times the ControlMaster loop).
#
#   bench/ssh.sh             # 3 rounds of 200 + 200
#   ROUNDS=5 bench/ssh.sh
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
