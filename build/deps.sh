#!/bin/sh
# build/deps.sh — install, with apt-get, exactly what the build, the tests,
# the Debian package (make deb) and the demo need; a no-op when everything is
# already installed.
set -eu

PKGS="build-essential pkg-config libssl-dev libunbound-dev libpsl-dev libidn2-dev
publicsuffix check libyaml-dev zlib1g-dev exim4-daemon-heavy exim4-dev swaks
python3-dkim python3-spf python3-authres python3-yaml libxml2-utils
dpkg-dev debhelper fakeroot lintian"

# `sh build/deps.sh patch-test`: also what building Exim from source needs
# (make patch-test: PCRE2 and a DBM library for its hints databases).
if [ "${1:-}" = patch-test ]; then
	PKGS="$PKGS libpcre2-dev libdb-dev xz-utils"
fi

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: run 'make deps' as root (it uses apt-get)" >&2
	exit 1
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
