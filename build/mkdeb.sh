#!/bin/sh
# build/mkdeb.sh DIR — build the Debian package exim4-mailauth (make deb).
#
# Copies the sources (what the build needs: Makefile, build/, shared/, glue/,
# module/, tools/, README, COPYING) into DIR/exim-mailauth-VERSION/, with
# build/debian as its debian/ directory, and runs
#     dpkg-buildpackage -us -uc -b -jauto
# there.  The .deb, .buildinfo and .changes land in DIR.  VERSION is
# MAILAUTH_VERSION of shared/version.h and must be the version at the top
# of build/debian/changelog (a native package: one version for both).
# Needs dpkg-dev, debhelper and the build dependencies of
# build/debian/control (build/deps.sh installs them).
set -eu
cd "$(dirname "$0")/.."
dir=${1:?usage: mkdeb.sh DIR}
version=$(sed -n 's/^#define MAILAUTH_VERSION "\(.*\)"$/\1/p' shared/version.h)
deb_version=$(dpkg-parsechangelog -l build/debian/changelog -S Version)
if [ -z "$version" ] || [ "$version" != "$deb_version" ]; then
	echo "mkdeb: shared/version.h says '$version' but build/debian/changelog says" \
		"'$deb_version': add a changelog entry (dch -c build/debian/changelog -v $version)" >&2
	exit 1
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
stage="$dir/exim-mailauth-$version"
rm -rf "$stage"
mkdir -p "$stage"
# The packaging itself goes to debian/, not build/debian.
tar -cf - --exclude=build/debian \
	Makefile README COPYING build shared glue module tools |
	tar -xf - -C "$stage"
cp -r build/debian "$stage/debian"
chmod 0755 "$stage/debian/rules" "$stage/debian/daily-report"
rm -f "$dir"/exim4-mailauth_"$version"_*.deb "$dir"/exim4-mailauth-dbgsym_"$version"_*.deb
(cd "$stage" && dpkg-buildpackage -us -uc -b -jauto) >"$dir/build.log" 2>&1 || {
	tail -n 40 "$dir/build.log" >&2
	echo "mkdeb: dpkg-buildpackage failed; the whole log is $dir/build.log" >&2
	exit 1
}
ls "$dir"/exim4-mailauth_"$version"_*.deb
