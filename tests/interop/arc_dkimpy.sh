#!/bin/sh
# tests/interop/arc_dkimpy.sh — ARC (RFC 8617) interoperability with Debian's
# python3-dkim (dkimpy): chains it seals validate here, chains sealed here
# validate with its arc_verify, three-hop chains mixing both pass on both
# sides, and tampering after a seal makes both say fail.  The work is in
# arc_dkimpy.py; our side is the driver built from tests/conformance/arc_tool.c
# (ARC_TOOL overrides; default ${O:-out}/tests/arc_tool).  Needs
# /usr/bin/python3 with the dkim and nacl modules (python3-dkim).  Ends with
# "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
TOOL=${ARC_TOOL:-${O:-out}/tests/arc_tool}
if [ ! -x "$TOOL" ]; then
	echo "arc_dkimpy: driver $TOOL not built (make O=... conformance)"
	echo "0 passed, 1 failed"
	exit 1
fi
if ! /usr/bin/python3 -c 'import dkim, nacl.signing' 2>/dev/null; then
	echo "arc_dkimpy: /usr/bin/python3 lacks the dkim or nacl module (python3-dkim)"
	echo "0 passed, 1 failed"
	exit 1
fi
exec /usr/bin/python3 tests/interop/arc_dkimpy.py "$TOOL"
