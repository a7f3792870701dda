#!/bin/sh
# tests/patches/patch-test.sh MODULE EXIM_SRC — `make patch-test`: the
# patches in patches/ against the Exim source they name, built, and the
# built Exim loading exim-mailauth.  Slow (it compiles Exim, a few minutes
# on two cores), so it is not part of make check.
#
# EXIM_SRC is where upstream Exim 4.96 is: a directory holding the
# tarball exim-4.96.tar.xz or Debian's exim4_4.96.orig.tar.xz (which is the
# upstream release), or an unpacked upstream tree (with src/EDITME and no
# debian/ directory).  Debian's source is fetched with a deb-src entry:
#     mkdir ../exim-src && cd ../exim-src && apt-get source --download-only exim4
#
# In a temporary directory (removed at the end) it
#   1. unpacks the source and applies every patches/*.patch with patch -p1:
#      each must apply without fuzz or offset;
#   2. makes Local/Makefile from the patched src/EDITME (the file every
#      source build starts from) and this test's paths, user and TLS
#      library, and builds Exim;
#   3. checks the binary: `exim -bV` lists Expand_dlfunc and
#      Dlopen_local_scan; `${dlfunc{MODULE}{version}}` and an SPF check
#      through ${dlfunc} work with -be; a message received with
#      local_scan_path = MODULE gets the module's Authentication-Results;
#      without local_scan_path nothing is added; a path that cannot be
#      loaded temporarily rejects the message and says why in the log.
# Needs root (-C), the Exim user Debian-exim (exim4-base) or EXIM_TEST_USER,
# and libpcre2-dev, libdb-dev, libssl-dev (sh build/deps.sh patch-test).
set -u
cd "$(dirname "$0")/../.." || exit 1
SRCDIR=$(pwd)
MODULE=${1:?usage: patch-test.sh MODULE EXIM_SRC}
SRC=${2:?usage: patch-test.sh MODULE EXIM_SRC}
MODULE=$(cd "$(dirname "$MODULE")" && pwd)/$(basename "$MODULE")
VERSION=4.96
USER_NAME=${EXIM_TEST_USER:-Debian-exim}
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; }
expect_match() {
	if printf '%s' "$3" | grep -qE -- "$2"; then ok "$1"; else bad "$1: '$3' does not match /$2/"; fi
}
expect_no_match() {
	if printf '%s' "$3" | grep -qE -- "$2"; then bad "$1: '$3' matches /$2/"; else ok "$1"; fi
}

W=$(mktemp -d /tmp/mailauth-patch.XXXXXX)
chmod 0755 "$W"
trap 'rm -rf "$W"' EXIT
trap 'exit 1' INT TERM
start=$(date +%s)

if [ ! -f "$MODULE" ]; then bad "module $MODULE not built"; finish; exit 1; fi
if ! id "$USER_NAME" >/dev/null 2>&1; then bad "no user $USER_NAME (set EXIM_TEST_USER)"; finish; exit 1; fi

# ---- 1. the source and the patches ----
tree=""
for t in "$SRC/exim-$VERSION.tar.xz" "$SRC/exim4_$VERSION.orig.tar.xz"; do
	if [ -f "$t" ]; then
		tar -C "$W" -xf "$t" && tree="$W/exim-$VERSION"
		break
	fi
done
if [ -z "$tree" ]; then
	for d in "$SRC" "$SRC/exim-$VERSION"; do
		if [ -f "$d/src/EDITME" ] && [ ! -d "$d/debian" ]; then
			cp -a "$d" "$W/exim-$VERSION" && tree="$W/exim-$VERSION"
			break
		fi
	done
fi
if [ -z "$tree" ] || [ ! -f "$tree/src/EDITME" ]; then
	bad "no upstream Exim $VERSION source in $SRC (see the comment at the top of $0)"
	finish; exit 1
fi
expect_match "the source is Exim $VERSION" "^Exim version $VERSION\$" \
	"$(sed -n 's/^EXIM_RELEASE_VERSION="\?\([^"]*\)"\?$/Exim version \1/p' "$tree/src/version.sh" 2>/dev/null)"
for p in "$SRCDIR"/patches/*.patch; do
	name=$(basename "$p")
	if (cd "$tree" && patch -p1 -F0 -N --no-backup-if-mismatch <"$p") >"$W/patch.out" 2>&1; then
		if grep -qiE 'fuzz|offset' "$W/patch.out"; then
			bad "$name applies only with fuzz or offset: $(grep -iE 'fuzz|offset' "$W/patch.out")"
		else
			ok "$name applies cleanly to Exim $VERSION"
		fi
	else
		bad "$name does not apply: $(cat "$W/patch.out")"
	fi
done

# ---- 2. build ----
I="$W/inst"
mkdir -p "$I" "$W/spool" "$W/log"
chown "$USER_NAME" "$W/spool" "$W/log"
# Local/Makefile as an administrator makes it: the patched src/EDITME, with
# this test's settings added at the end (later settings win).  (Not in
# Local/Makefile-Linux: Exim's build touches Local/Makefile when that file
# is newer, which races with its own Makefile check under make -j.)
{ cat "$tree/src/EDITME"; cat <<EOF
# patch-test settings
BIN_DIRECTORY=$I/bin
CONFIGURE_FILE=$I/configure
SPOOL_DIRECTORY=$W/spool
LOG_FILE_PATH=$W/log/%slog
EXIM_USER=$USER_NAME
USE_OPENSSL=yes
TLS_LIBS=-lssl -lcrypto
EOF
} >"$tree/Local/Makefile"
echo "building Exim $VERSION (make -j$(nproc)) ..."
# Exim's own make must not see ours (MAKEFLAGS would pass O=... and the
# like down to it).
if (cd "$tree" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES make -j"$(nproc)") \
	>"$W/build.log" 2>&1; then
	ok "Exim $VERSION builds with the patches ($(($(date +%s) - start)) s)"
else
	bad "the build failed: $(grep -iE 'error|\*\*\*' "$W/build.log" | head -n 15)"
	finish; exit 1
fi
EXIM=$(ls "$tree"/build-*/exim 2>/dev/null | head -n 1)
[ -x "$EXIM" ] || { bad "no exim binary in $tree/build-*"; finish; exit 1; }

# ---- 3. the binary and the module ----
cat >"$W/zone" <<'EOF'
example.org. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.example.org. 300 IN TXT "v=DMARC1; p=reject"
EOF
printf 'resolver = zone:%s\ndns_timeout = 5s\n' "$W/zone" >"$W/mailauth.conf"
# write_conf FILE [MAIN-OPTION]: a configuration that queues every message;
# its non-SMTP ACL selects the test mailauth.conf.
write_conf() {
	cat >"$1" <<EOF
$2
primary_hostname = mx.example.test
qualify_domain = example.test
domainlist local_domains = example.test
spool_directory = $W/spool
log_file_path = $W/log/%slog
exim_user = $USER_NAME
exim_group = $USER_NAME
never_users =
queue_only = true
acl_not_smtp = acl_not_smtp
keep_environment =

begin acl

acl_not_smtp:
  warn set acl_m_cfg = \${dlfunc{$MODULE}{config}{$W/mailauth.conf}}
  accept

begin routers

local:
  driver = accept
  domains = +local_domains
  transport = null

begin transports

null:
  driver = appendfile
  file = /dev/null
EOF
}
write_conf "$W/plain.conf" ""
bv=$("$EXIM" -C "$W/plain.conf" -bV 2>&1)
expect_match "exim -bV lists Expand_dlfunc" 'Support for:.* Expand_dlfunc' "$bv"
expect_match "exim -bV lists Dlopen_local_scan" 'Support for:.* Dlopen_local_scan' "$bv"
expect_match "exim -be loads the module with \${dlfunc}" '^exim-mailauth [0-9]+\.[0-9]+\.[0-9]+ ' \
	"$("$EXIM" -C "$W/plain.conf" -be "\${dlfunc{$MODULE}{version}}" 2>&1)"
expect_match "the module checks SPF through the local_scan API (-be)" '^ok:pass$' \
	"$("$EXIM" -C "$W/plain.conf" -be "\${dlfunc{$MODULE}{config}{$W/mailauth.conf}}:\${dlfunc{$MODULE}{spf}{192.0.2.1}{client.example.org}{a@example.org}}" 2>&1)"

# receive CONF: one message through -bm (non-SMTP, queued); prints the
# exit status and the message's header fields as spooled.
printf 'From: a@example.org\nTo: user@example.test\nSubject: patch test\n\nhello\n' >"$W/msg"
receive() {
	rm -rf "$W/spool/input"
	"$EXIM" -C "$1" -odq -f a@example.org user@example.test <"$W/msg" >"$W/bm.out" 2>&1
	echo "exit=$?"
	find "$W/spool/input" -name '*-H' -exec cat {} + 2>/dev/null
}
write_conf "$W/ls.conf" "local_scan_path = $MODULE"
out=$(receive "$W/ls.conf")
expect_match "with local_scan_path the message is accepted" '^exit=0' "$out"
expect_match "and the module's local_scan() added Authentication-Results" \
	'Authentication-Results: mx\.example\.test;' "$out"
# A local message has no client IP (no SPF) and no signature: DMARC fails
# against the test zone's p=reject, which shows the zone was used.
expect_match "the field carries the DMARC result for the test zone's policy" \
	'dmarc=fail [^;]*header\.from=example\.org[^;]*policy\.dmarc=reject' "$(printf '%s' "$out" | tr -d '\n')"
out=$(receive "$W/plain.conf")
expect_match "without local_scan_path the message is accepted" '^exit=0' "$out"
expect_no_match "and nothing is added" 'Authentication-Results' "$out"
write_conf "$W/missing.conf" "local_scan_path = $W/no-such-module.so"
out=$(receive "$W/missing.conf")
expect_no_match "a local_scan_path that cannot be loaded does not accept the message" '^exit=0' "$out"
expect_match "and the main log says why" "local_scan_path $W/no-such-module.so: cannot load" \
	"$(cat "$W/log/mainlog" 2>/dev/null)"
echo "patch test took $(($(date +%s) - start)) s"
finish
