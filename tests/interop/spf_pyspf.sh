#!/bin/sh
# tests/interop/spf_pyspf.sh — differential test of our SPF (spf_check)
# against pyspf (Debian python3-spf): a fixed, seeded set of generated
# policies and clients (spf_pyspf.py explains the generator and the points
# where pyspf departs from RFC 7208).  Our side runs tests/interop/
# spf_eval.c, built here against $MAILAUTH_OUT/libmailauth.a (default: out,
# the normal build), with libunbound answering from the generated zone
# file; pyspf gets the same data through a replaced spf.DNSLookup.
# Every difference is printed with its inputs; the last line is
# "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
OUT=${MAILAUTH_OUT:-out}
PY=/usr/bin/python3   # Debian's modules are not on every python3 on PATH
CC=${CC:-cc}

if [ ! -f "$OUT/libmailauth.a" ]; then
	echo "missing $OUT/libmailauth.a: build it first (make O=$OUT all)"
	echo "0 passed, 1 failed"
	exit 1
fi
if ! "$PY" -c 'import spf' 2>/dev/null; then
	echo "python3-spf is not installed for $PY (apt-get install python3-spf)"
	echo "0 passed, 1 failed"
	exit 1
fi
mkdir -p "$OUT/interop"
DRIVER="$OUT/interop/spf_eval"
if ! $CC -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -Werror -O1 -g \
	-Ishared -o "$DRIVER" tests/interop/spf_eval.c "$OUT/libmailauth.a" \
	-lunbound -lpsl -lidn2 -lssl -lcrypto; then
	echo "cannot build $DRIVER"
	echo "0 passed, 1 failed"
	exit 1
fi
exec "$PY" tests/interop/spf_pyspf.py --driver "$DRIVER" "$@"
