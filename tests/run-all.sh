#!/bin/sh
# tests/run-all.sh — every test of exim-mailauth (what `make check` runs).
#
# 1. normal build: unit tests (check), conformance runners
# 2. sanitizer build (ASan + UBSan): the same binaries again; any report fails
# 3. integration scripts: tests/exim/*.sh, tests/interop/*.sh, tests/tools/*.sh
# 4. the demo (tests/demo/run-demo.sh), which checks where each message ends
#
# Each test program prints its own "N passed, M failed" line (or check's
# "Checks: N, Failures: F, Errors: E"); this script adds them up and ends
# with the grand total.  Exit status 0 only when nothing failed.
set -u
cd "$(dirname "$0")/.."
SRCDIR=$(pwd)
export MAILAUTH_SRCDIR="$SRCDIR"
JOBS=${JOBS:-2}
LOG=${MAILAUTH_TEST_LOG:-$SRCDIR/out/test-logs}
mkdir -p "$LOG"

total_pass=0
total_fail=0
failed_names=""

# record NAME EXIT_STATUS LOGFILE
record() {
	name=$1; rc=$2; log=$3
	p=0; f=0
	line=$(grep -E '^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$log" | tail -n 1)
	if [ -n "$line" ]; then
		n=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
		fl=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
		er=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
		f=$((fl + er)); p=$((n - f))
	else
		line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
		if [ -n "$line" ]; then
			p=$(echo "$line" | sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed.*/\2/')
			f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
		fi
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1   # crashed or failed without counting: one failure
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		f=1   # a test program that ran nothing is a failure
		echo "  (ran no test)" >>"$log"
	fi
	total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
	if [ "$f" -ne 0 ]; then
		failed_names="$failed_names $name"
		echo "FAIL $name: $p passed, $f failed (log: $log)"
		tail -n 40 "$log" | sed 's/^/    /'
	else
		echo "ok   $name: $p passed"
	fi
}

run_bin_dir() {
	dir=$1; tag=$2
	for t in "$dir"/tests/*; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		case "$t" in *.o|*.d) continue ;; esac
		name="$tag/$(basename "$t")"
		log="$LOG/$(echo "$name" | tr '/' '_').log"
		"$t" >"$log" 2>&1
		record "$name" $? "$log"
	done
}

# Exim runs as its own user in the integration tests: it must reach the tree.
sh build/exim-access.sh "$SRCDIR" || exit 1

echo "== build (normal)"
if ! make -s -j"$JOBS" all unit conformance >"$LOG/build.log" 2>&1; then
	cat "$LOG/build.log"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "== unit and conformance tests"
run_bin_dir out normal

echo "== build (AddressSanitizer + UndefinedBehaviorSanitizer)"
if ! make -s -j"$JOBS" SAN=1 unit conformance >"$LOG/build-san.log" 2>&1; then
	cat "$LOG/build-san.log"
	total_fail=$((total_fail + 1)); failed_names="$failed_names build-san"
else
	export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:exitcode=99"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
	export LSAN_OPTIONS="suppressions=$SRCDIR/tests/lsan.supp:print_suppressions=0"
	run_bin_dir out-san san
	unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
fi

echo "== integration tests"
for t in tests/exim/*.sh tests/interop/*.sh tests/tools/*.sh; do
	[ -f "$t" ] || continue
	case "$t" in */lib.sh|*/lib-*.sh) continue ;; esac   # sourced helpers, not tests
	name=${t#tests/}
	log="$LOG/$(echo "$name" | tr '/' '_').log"
	sh "$t" >"$log" 2>&1
	record "$name" $? "$log"
done

# The demo is a test too: it exits non-zero when a message does not end
# where it should; its summary rows end in "ok" or "UNEXPECTED".
log="$LOG/demo.log"
sh tests/demo/run-demo.sh >"$log" 2>&1
rc=$?
echo "$(grep -cE '  ok$' "$log") passed, $(grep -cE '  UNEXPECTED' "$log") failed" >>"$log"
record demo $rc "$log"

echo
if [ -n "$failed_names" ]; then
	echo "failed:$failed_names"
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
