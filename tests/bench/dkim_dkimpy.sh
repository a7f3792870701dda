#!/bin/sh
# tests/bench/dkim_dkimpy.sh — DKIM verification here next to Debian's
# python3-dkim (dkimpy) on the same messages (issue 4): a few cases of
# bench_dkim's corpus (written with --dump), ours measured by bench_dkim
# --case (key cache on, as in the module), dkimpy's by dkimpy_rate.py
# (keys handed over from the zone file, no DNS; Python's own start-up not
# counted).  Both per CPU second.  Every verification on both sides must
# pass, else exit 1.
# Usage: dkim_dkimpy.sh [SECONDS]   (per case and side; default 1)
set -u
S=${1:-1}
cd "$(dirname "$0")/../.."
B=${O:-out}
BENCH=$B/bench/bench_dkim
PY=/usr/bin/python3
[ -x "$BENCH" ] || { echo "dkim_dkimpy: $BENCH not built" >&2; exit 1; }
"$PY" -c 'import dkim, nacl.signing' 2>/dev/null ||
	{ echo "dkim_dkimpy: /usr/bin/python3 lacks dkim or nacl (python3-dkim)" >&2; exit 1; }
T=$(mktemp -d /tmp/mailauth-bench-dkimpy.XXXXXX)
trap 'rm -rf "$T"' EXIT
"$BENCH" --dump "$T" >/dev/null || { echo "dkim_dkimpy: bench_dkim --dump failed" >&2; exit 1; }

# the cases compared: file, label
pick() {
	awk -F '\t' -v k="$1" -v kb="$2" -v c="$3" -v st="$4" \
		'$3 == k && $4 == kb && $5 == c && $6 == st { print $1; exit }' "$T/cases"
}
printf '%-40s %12s %12s %10s\n' "case" "ours msg/s" "dkimpy msg/s" "ours/dkimpy"
rc=0
for spec in "rsa2048 4 relaxed text" "rsa2048 32 relaxed mixed" "rsa2048 32 simple mixed" \
	"ed25519 32 relaxed mixed" "rsa2048+ed25519 32 relaxed mixed" "rsa2048 256 relaxed text"; do
	set -- $spec
	f=$(pick "$1" "$2" "$3" "$4")
	[ -n "$f" ] || { echo "dkim_dkimpy: case '$spec' not in the dump" >&2; rc=1; continue; }
	n=${f%.eml}
	ours=$("$BENCH" "$S" --case "$n" --quiet) || { echo "dkim_dkimpy: bench_dkim failed on $spec" >&2; rc=1; continue; }
	ours=${ours%% *}
	py=$("$PY" tests/bench/dkimpy_rate.py "$T/zone" "$S" "$T/$f") ||
		{ echo "dkim_dkimpy: dkimpy failed on $spec" >&2; rc=1; continue; }
	py=${py##* }
	printf '%-40s %12s %12s %10s\n' "$1 $2 KB $3 $4" "$ours" "$py" \
		"$(awk -v a="$ours" -v b="$py" 'BEGIN { printf "%.0f", a / b }')"
done
exit $rc
