#!/bin/sh
# tests/tools/layering.sh — the include graph follows the layers of
# DESIGN.md: module -> glue -> shared, tools -> shared, never back.
#   shared/  includes no Exim header and nothing from glue/ or module/
#   glue/    includes nothing from module/
#   tools/   include no Exim header and nothing from glue/ or module/
# and local_scan.h (Exim's API) appears only in glue/ and module/.
set -u
cd "$(dirname "$0")/../.."
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }

# includes DIR: every "#include" line of DIR's C files, as FILE:LINE:TEXT
includes() { grep -n '^[[:space:]]*#[[:space:]]*include' "$1"/*.c "$1"/*.h "$1"/*/*.c "$1"/*/*.h 2>/dev/null; }

# headers of a directory, by base name
names_of() { for f in "$1"/*.h; do [ -f "$f" ] && basename "$f"; done; }

check_no() { # LAYER PATTERN WHAT
	hits=$(includes "$1" | grep -E "$2")
	if [ -z "$hits" ]; then ok "$1/ includes no $3"; else bad "$1/ includes $3: $hits"; fi
}

# (config.h is a name both we and Exim use: ours is in shared/, Exim's is
# reachable only through -isystem /usr/include/exim4, which shared/ is not
# compiled with, so a stray Exim include there fails to build anyway.)
check_no shared '[<"](local_scan\.h|exim\.h|mytypes\.h|store\.h)[>"]|[<"]exim4/' "Exim header"
for h in $(names_of glue) $(names_of module); do
	check_no shared "[<\"]$h[>\"]" "glue/module header $h"
	check_no tools "[<\"]$h[>\"]" "glue/module header $h"
done
for h in $(names_of module); do
	check_no glue "[<\"]$h[>\"]" "module header $h"
done
check_no tools '[<"]local_scan\.h[>"]' "Exim header"
n=$(grep -l 'local_scan\.h' shared/*.c shared/*.h tools/*/*.c 2>/dev/null | wc -l)
[ "$n" -eq 0 ] && ok "local_scan.h is used only in glue/ and module/" \
	|| bad "local_scan.h used outside glue/ and module/"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
