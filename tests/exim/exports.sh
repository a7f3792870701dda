#!/bin/sh
# The module exports only the dlfunc entry points and the local_scan ABI.
# Exim's binary exports functions such as dns_lookup; a core symbol exported
# from mailauth.so could bind to (or shadow) them.  Compare nm -D with the
# allowlist: every exported symbol must be on it, and `version` must exist.
set -u
cd "$(dirname "$0")/../.."
SO=${MAILAUTH_SO:-out/mailauth.so}
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }

if [ ! -f "$SO" ]; then
	bad "module $SO not built"
	echo "$pass passed, $fail failed"; exit 1
fi
exported=$(nm -D --defined-only "$SO" | awk '$2 ~ /^[TDBRVWi]$/ {print $3}' | sort)
extra=$(echo "$exported" | grep -vxF -f tests/exim/exports.allow || true)
if [ -z "$extra" ]; then ok "no symbol outside the allowlist"; else bad "unexpected exports: $extra"; fi
if echo "$exported" | grep -qx version; then ok "version is exported"; else bad "version not exported"; fi
# Core functions the module links must be present as local symbols only.
symtab=$(nm "$SO")
for s in arena_new buf_init version_describe; do
	if echo "$exported" | grep -qx "$s"; then
		bad "core symbol $s exported"
	elif echo "$symtab" | grep -qE " t $s\$"; then
		ok "core symbol $s linked and hidden"
	else
		bad "core symbol $s not found as a local symbol"
	fi
done
# No core function may have an entry point's name (the dlfuncs have short
# names: config, spf, verify, get, fields, authres, arc_seal, version):
# linked into one module, the core's own calls would reach the dlfunc.
core=$(dirname "$SO")/libmailauth.a
if [ -f "$core" ]; then
	core_defs=$(nm "$core" 2>/dev/null | awk '$2 ~ /^[TDBR]$/ {print $3}' | sort -u)
	clash=""
	for s in $(cat tests/exim/exports.allow); do
		echo "$core_defs" | grep -qx "$s" && clash="$clash $s"
	done
	if [ -z "$clash" ]; then
		ok "no core symbol has the name of an entry point"
	else
		bad "core symbols named like entry points:$clash"
	fi
else
	bad "no core library beside $SO"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
