#!/bin/sh
# tests/interop/dkim_dkimpy.sh — DKIM interoperability with Debian's
# python3-dkim (dkimpy): messages it signs verify here, messages signed here
# verify there, and altered variants give the same verdict on both sides.
# The work is in dkim_dkimpy.py; our side is the driver built from
# tests/conformance/dkim_tool.c (DKIM_TOOL overrides; default out/tests/).
# Needs /usr/bin/python3 with the dkim and nacl modules (python3-dkim,
# python3-nacl).  Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
TOOL=${DKIM_TOOL:-${O:-out}/tests/dkim_tool}
if [ ! -x "$TOOL" ]; then
	echo "dkim_dkimpy: driver $TOOL not built (make O=... conformance)"
	echo "0 passed, 1 failed"
	exit 1
fi
if ! /usr/bin/python3 -c 'import dkim, nacl.signing' 2>/dev/null; then
	echo "dkim_dkimpy: /usr/bin/python3 lacks the dkim or nacl module (python3-dkim)"
	echo "0 passed, 1 failed"
	exit 1
fi
exec /usr/bin/python3 tests/interop/dkim_dkimpy.py "$TOOL"
