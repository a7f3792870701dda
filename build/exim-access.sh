#!/bin/sh
# build/exim-access.sh DIR — let Exim's user reach the checkout DIR.
#
# The tests and the demo run Debian's exim4 with a private configuration
# (-C).  Exim then drops to its own user (Debian-exim) before it reads the
# files that configuration includes (module/conf/...) and before it loads
# out/mailauth.so, so every directory above DIR must let that user pass.
# A checkout below a private directory (mktemp -d makes them 0700) would
# hide them and every Exim test would fail with "Permission denied".  Such
# directories get the search bit for others (o+x: enter, not list), and
# this says which.
set -u
dir=$(realpath "$1")
d=$dir
while :; do
	mode=$(stat -c %a "$d")
	if [ $((0$mode & 1)) -eq 0 ]; then
		echo "note: Exim's user cannot enter $d: allowing it (chmod o+x) so Exim can read the module and its configuration"
		chmod o+x "$d" || exit 1
	fi
	[ "$d" = / ] && break
	d=$(dirname "$d")
done
