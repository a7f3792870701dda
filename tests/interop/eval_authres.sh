#!/bin/sh
# tests/interop/eval_authres.sh — every Authentication-Results field that a
# whole evaluation (eval_run) produces in the end-to-end scenarios of
# tests/unit/test_eval_scenarios.c must parse with Debian's python3-authres
# and say what the other result fields and the message say.
#
# The test program writes, for each scenario, the field, all result fields
# and the message into the directory named by MAILAUTH_AR_OUT;
# eval_authres.py checks them.  The binary comes from $MAILAUTH_OUT
# (default: out, the normal build of `make unit`).  The last line is
# "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
SRCDIR=$(pwd)
OUT=${MAILAUTH_OUT:-out}
PY=/usr/bin/python3   # Debian's modules are not on every python3 on PATH
BIN="$OUT/tests/test_eval_scenarios"

dir=$(mktemp -d "${TMPDIR:-/tmp}/mailauth-eval-ar-XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM

extra_fail=0
if [ ! -x "$BIN" ]; then
	echo "missing $BIN: build it first (make O=$OUT unit)"
	echo "0 passed, 1 failed"
	exit 1
fi
# A scenario that fails still writes its field (before its checks), so the
# fields are checked either way; the failure itself counts once here.
if ! MAILAUTH_SRCDIR="$SRCDIR" MAILAUTH_AR_OUT="$dir/ar" "$BIN" >"$dir/log" 2>&1; then
	echo "$BIN failed while producing fields:"
	grep -E ':[FE]:|Checks:' "$dir/log" | tail -n 20
	extra_fail=$((extra_fail + 1))
fi

if ! "$PY" -c 'import authres' 2>/dev/null; then
	echo "python3-authres is not installed for $PY (apt-get install python3-authres)"
	echo "0 passed, $((extra_fail + 1)) failed"
	exit 1
fi

n=$(ls "$dir/ar" 2>/dev/null | grep -c '\.ar$')
echo "checking $n Authentication-Results fields from $BIN with python3-authres"
"$PY" "$SRCDIR/tests/interop/eval_authres.py" "$dir/ar" >"$dir/out" 2>&1
rc=$?
grep -v -E '^[0-9]+ passed, [0-9]+ failed$' "$dir/out"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$dir/out" | tail -n 1)
p=$(echo "${line:-0 passed, 1 failed}" | sed -E 's/^([0-9]+) passed.*/\1/')
f=$(echo "${line:-0 passed, 1 failed}" | sed -E 's/.* ([0-9]+) failed$/\1/')
f=$((f + extra_fail))
echo "$p passed, $f failed"
[ "$rc" -eq 0 ] && [ "$f" -eq 0 ]
