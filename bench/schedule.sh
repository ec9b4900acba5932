#!/bin/sh
# The scheduler under load: 1,000 playbooks scheduled @every 1s, with a
# launcher whose runs do nothing, on the real clock and a real history
# database, for SECONDS_TO_RUN seconds (default 60). Prints the fire delay
# p50/p99/max, the CPU as a percentage of one core, and the resident memory
# of the first and last 10 s after a 5 s warm-up. Run it on a quiet machine:
# other load shows up as fire delay.
set -eu
cd "$(dirname "$0")/.."
exec go test -run '^$' -bench 'BenchmarkSchedule1000$' -benchtime 1x ./pkg/scheduler/ \
	-args -sched.seconds "${SECONDS_TO_RUN:-60}"
