#!/bin/sh
# tests/bench/run-bench.sh — `make bench`: every benchmark, one after the
# other, in one run (so ratios compare like with like on a noisy machine).
# BENCH_SECONDS sets the measuring time per case (default 1).
set -u
cd "$(dirname "$0")/../.."
S=${BENCH_SECONDS:-1}
echo "exim-mailauth benchmarks ($(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ))"
for b in out/bench/*; do
	[ -x "$b" ] || continue
	echo
	echo "== $(basename "$b")"
	"$b" "$S" || echo "(benchmark $(basename "$b") failed: exit $?)"
done
for s in tests/bench/*.sh; do
	case "$s" in */run-bench.sh) continue ;; esac
	echo
	echo "== $(basename "$s")"
	sh "$s" "$S" || echo "(benchmark $(basename "$s") failed)"
done
