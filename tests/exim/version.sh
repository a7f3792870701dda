#!/bin/sh
# Debian's exim4 loads mailauth.so through ${dlfunc} (exim4 -C test.conf -be)
# and the `version` function answers.
. "$(dirname "$0")/lib.sh"
write_base_conf
out=$("$EXIM" -C "$T/exim.conf" -be '${dlfunc{MAILAUTH}{version}}' 2>&1)
expect_match "exim4 -be loads the module and prints its version" '^exim-mailauth [0-9]+\.[0-9]+\.[0-9]+ \(OpenSSL' "$out"
out=$("$EXIM" -C "$T/exim.conf" -be '${dlfunc{MAILAUTH}{no_such_function}}' 2>&1)
expect_match "an unknown function is reported by Exim, not a crash" 'no_such_function|dlsym' "$out"
if "$EXIM" -bV | grep -q Expand_dlfunc; then ok "exim4 -bV lists Expand_dlfunc"; else bad "exim4 lacks Expand_dlfunc"; fi
finish
