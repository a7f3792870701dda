#!/bin/sh
# tests/interop/ar_authres.sh — every Authentication-Results field the unit
# tests build (test_ar and the test_dmarc* programs) must parse with
# Debian's python3-authres and give back what went into it.
#
# The test programs record each field with its expected content when
# MAILAUTH_AR_DUMP names a file (tests/unit/lib/ardump.c); ar_authres.py
# checks them.  Binaries come from $MAILAUTH_OUT (default: out, the normal
# build of `make unit`).  The last line is "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
SRCDIR=$(pwd)
OUT=${MAILAUTH_OUT:-out}
PY=/usr/bin/python3   # Debian's modules are not on every python3 on PATH

dump=$(mktemp "${TMPDIR:-/tmp}/mailauth-ar-XXXXXX")
trap 'rm -f "$dump"' EXIT INT TERM

extra_fail=0
progs=0
for bin in "$OUT/tests/test_ar" "$OUT"/tests/test_dmarc*; do
	case "$bin" in *.o|*.d) continue ;; esac
	if [ ! -x "$bin" ]; then
		echo "missing $bin: build it first (make O=$OUT unit)"
		extra_fail=$((extra_fail + 1))
		continue
	fi
	progs=$((progs + 1))
	if ! MAILAUTH_SRCDIR="$SRCDIR" MAILAUTH_AR_DUMP="$dump" "$bin" >"$dump.log" 2>&1; then
		echo "$bin failed while producing fields:"
		tail -n 20 "$dump.log"
		extra_fail=$((extra_fail + 1))
	fi
	rm -f "$dump.log"
done

if ! "$PY" -c 'import authres' 2>/dev/null; then
	echo "python3-authres is not installed for $PY (apt-get install python3-authres)"
	echo "0 passed, $((extra_fail + 1)) failed"
	exit 1
fi

echo "checking $(wc -l <"$dump") fields from $progs programs with python3-authres"
"$PY" "$SRCDIR/tests/interop/ar_authres.py" "$dump" >"$dump.out" 2>&1
rc=$?
grep -v -E '^[0-9]+ passed, [0-9]+ failed$' "$dump.out"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$dump.out" | tail -n 1)
rm -f "$dump.out"
p=$(echo "${line:-0 passed, 1 failed}" | sed -E 's/^([0-9]+) passed.*/\1/')
f=$(echo "${line:-0 passed, 1 failed}" | sed -E 's/.* ([0-9]+) failed$/\1/')
f=$((f + extra_fail))
echo "$p passed, $f failed"
[ "$rc" -eq 0 ] && [ "$f" -eq 0 ]
