#!/bin/sh
# tests/bench/run-bench.sh — `make bench`: every benchmark, one after the
# other, in one run (so ratios compare like with like on a noisy machine).
# BENCH_SECONDS sets the measuring time per case and side (default 1);
# with the default the whole run takes about four minutes.  The build
# directory is $O (out by default; `make O=DIR bench` passes it), and the
# scripts (tests/bench/*.sh) get it the same way.  A benchmark that fails —
# a verification giving a wrong result makes every figure void — is
# reported at the end and makes the exit status non-zero.
set -u
cd "$(dirname "$0")/../.."
S=${BENCH_SECONDS:-1}
O=${O:-out}
export O
failed=""
echo "exim-mailauth benchmarks ($(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), build $O, BENCH_SECONDS=$S)"
for b in "$O"/bench/*; do
	[ -x "$b" ] || continue
	echo
	echo "== $(basename "$b")"
	"$b" "$S" || { echo "(benchmark $(basename "$b") FAILED: exit $?)"; failed="$failed $(basename "$b")"; }
done
for s in tests/bench/*.sh; do
	case "$s" in */run-bench.sh) continue ;; esac
	echo
	echo "== $(basename "$s")"
	sh "$s" "$S" || { echo "(benchmark $(basename "$s") FAILED)"; failed="$failed $(basename "$s")"; }
done
echo
if [ -n "$failed" ]; then
	echo "benchmarks FAILED:$failed"
	exit 1
fi
echo "all benchmarks ran; every verification gave the expected result"
