#!/bin/sh
# The administrator files in module/conf/ with Debian's own exim4-config:
# a copy of /etc/exim4 (template and conf.d) gets our files, the one
# enabling line, and goes through Debian's update-exim4.conf, for the split
# and the unsplit configuration.  The generated configuration must pass
# `exim4 -bV`, and an `exim4 -bh` session must run our RCPT and DATA
# snippets (SPF in RCPT, verify and our Authentication-Results in DATA) and
# the optional enforcement macros.  Disabling (removing the one line) gives
# a configuration that never calls the module, and so does a line left in
# place after the package's files were purged.
. "$(dirname "$0")/lib.sh"
CONF="$SRCDIR/module/conf"
write_mailauth_conf
if [ ! -f /etc/exim4/exim4.conf.template ] || [ ! -d /etc/exim4/conf.d ] || ! command -v update-exim4.conf >/dev/null; then
	bad "Debian's exim4-config is not installed"
	finish
	exit 1
fi

# install_files DIR: our files as a package would install them, with the
# paths moved into the test directory.
install_files() {
	etc=$1
	mkdir -p "$etc/mailauth"
	for f in mailauth.macros acl_check_rcpt acl_check_data debian/debian.conf; do
		sed -e "s|/etc/exim4/mailauth|$etc/mailauth|g" -e "s|/usr/lib/exim4/mailauth.so|$SO|g" \
			"$CONF/$f" >"$etc/mailauth/$(basename "$f")"
	done
	sed -e "s|/etc/exim4/mailauth|$etc/mailauth|g" "$CONF/debian/conf.d/main/05_exim-mailauth" \
		>"$etc/conf.d/main/05_exim-mailauth"
}

# The site settings every generated configuration gets: private spool and
# log, no reverse lookups, example.test as a local domain, the test
# mailauth.conf.
site_macros() {
	cat <<EOF
SPOOLDIR = $T/spool
MAIN_HOST_LOOKUP =
log_file_path = $T/log/%slog
MAILAUTH_CONFIG_FILE = $T/mailauth.conf
EOF
}

# make_etc DIR SPLIT: a copy of Debian's configuration directory.
make_etc() {
	etc=$1
	rm -rf "$etc"
	mkdir -p "$etc"
	cp -r /etc/exim4/conf.d /etc/exim4/exim4.conf.template "$etc/"
	cat >"$etc/update-exim4.conf.conf" <<EOF
dc_eximconfig_configtype='internet'
dc_other_hostnames='example.test'
dc_local_interfaces='127.0.0.1'
dc_readhost=''
dc_relay_domains=''
dc_minimaldns='false'
dc_relay_nets=''
dc_smarthost=''
CFILEMODE='644'
dc_use_split_config='$2'
dc_hide_mailname=''
dc_mailname_in_oh='true'
dc_localdelivery='mail_spool'
EOF
	install_files "$etc"
}

# generate DIR OUT: run Debian's generator on DIR.
generate() {
	update-exim4.conf -d "$1" -o "$2" >"$T/update.out" 2>&1
}

# session CONF IP: an -bh session sending $T/m1 to root@example.test.
session() {
	"$PY" "$CLIENT" --stdin --to postmaster@example.test "$T/m1" -- "$EXIM" -C "$1" -bh "$2" >"$T/bh.out" 2>&1
	"$PY" "$CLIENT" --stdin --to root@example.test "$T/m1" -- "$EXIM" -C "$1" -bh "$2" >>"$T/bh.out" 2>&1
}
# The value an ACL line expanded to, from the -bh commentary.
expanded() {
	grep -A1 -E "^>>> check $1" "$T/bh.out" | sed -n 's/^>>> *= //p' | head -n 1
}

# check_inactive WHAT DIR: DIR generates a configuration that Exim accepts,
# takes mail from outside and never calls the module.
check_inactive() {
	if generate "$2" "$T/inactive.conf" && "$EXIM" -C "$T/inactive.conf" -bV >/dev/null 2>&1; then
		ok "$1: update-exim4.conf and exim4 -bV succeed"
	else
		bad "$1: the configuration does not build: $(cat "$T/update.out")"
		return
	fi
	session "$T/inactive.conf" 192.0.2.1
	expect_match "$1: mail is accepted" '^accepted ' \
		"$(grep -E '^(accepted|refused)' "$T/bh.out" | tail -n 1)"
	expect_no_match "$1: the module is not called" 'mailauth' "$(grep '^>>> check' "$T/bh.out")"
}

write_message "$T/m1" a@example.org "hello"
spf_words='^(pass|fail|softfail|neutral|none|permerror|temperror)$'
dmarc_words='^(accept|reject|quarantine|none|norecord|nofrom|temperror|off)$'

# Installed but not enabled: the split drop-in does nothing.
etc="$T/etc-off"
make_etc "$etc" true
site_macros >"$etc/conf.d/main/000_localmacros"
if generate "$etc" "$T/off.conf" && "$EXIM" -C "$T/off.conf" -bV >/dev/null 2>&1; then
	session "$T/off.conf" 192.0.2.1
	expect_match "installed but not enabled: mail is accepted" '^accepted ' \
		"$(grep -E '^(accepted|refused)' "$T/bh.out" | tail -n 1)"
	expect_no_match "installed but not enabled: the module is not called" 'mailauth' \
		"$(grep '^>>> check' "$T/bh.out")"
else
	bad "the configuration without MAILAUTH_ENABLE does not build: $(cat "$T/update.out")"
fi

for mode in split unsplit; do
	etc="$T/etc-$mode"
	if [ $mode = split ]; then
		make_etc "$etc" true
		{ site_macros; echo "MAILAUTH_ENABLE = yes"; } >"$etc/conf.d/main/000_localmacros"
	else
		make_etc "$etc" false
		# update-exim4.conf prepends exim4.conf.localmacros to the template
		# (it only looks for that file in /etc/exim4, so the test prepends
		# it itself, exactly as the script would).
		{ site_macros; echo ".include_if_exists $etc/mailauth/debian.conf"; } >"$etc/exim4.conf.localmacros"
		cat "$etc/exim4.conf.localmacros" /etc/exim4/exim4.conf.template >"$etc/exim4.conf.template"
	fi
	out="$T/$mode.conf"
	if generate "$etc" "$out"; then ok "$mode: update-exim4.conf generates a configuration"
	else bad "$mode: update-exim4.conf failed: $(cat "$T/update.out")"; continue; fi
	if "$EXIM" -C "$out" -bV >"$T/bV.out" 2>&1; then ok "$mode: exim4 -bV accepts it"
	else bad "$mode: exim4 -bV: $(grep -A2 -i error "$T/bV.out")"; continue; fi

	session "$out" 192.0.2.1
	expect_match "$mode: the message from outside is accepted" '^accepted ' \
		"$(grep -E '^(accepted|refused)' "$T/bh.out" | tail -n 1)"
	expect_eq "$mode: the RCPT snippet selects MAILAUTH_CONFIG_FILE" "ok" \
		"$(expanded 'set acl_c_mailauth_config')"
	expect_match "$mode: the RCPT snippet runs spf" "$spf_words" "$(expanded 'set acl_m_mailauth_spf')"
	expect_match "$mode: the DATA snippet runs verify" "$dmarc_words" "$(expanded 'set acl_m_mailauth_dmarc')"
	expect_match "$mode: the DATA snippet stores the fields" 'body_bytes="6"' "$(expanded 'set acl_m_mailauth ')"
	expect_match "$mode: the DATA snippet adds our Authentication-Results on top" \
		'^:at_start:Authentication-Results: ' "$(expanded 'add_header = :at_start:')"

	# Mail from relay_from_hosts (127.0.0.1 is always one on Debian) is
	# not evaluated in DATA.
	session "$out" 127.0.0.1
	expect_match "$mode: a relay host's message is accepted" '^accepted ' \
		"$(grep -E '^(accepted|refused)' "$T/bh.out" | tail -n 1)"
	expect_eq "$mode: a relay host's message is not evaluated" "" "$(expanded 'set acl_m_mailauth_dmarc')"

	# Enforcement macros: a resolver that cannot start gives temperror;
	# MAILAUTH_DEFER_SPF then defers at RCPT time.
	if [ $mode = split ]; then
		echo "MAILAUTH_DEFER_SPF = yes" >>"$etc/conf.d/main/000_localmacros"
	else
		{ echo "MAILAUTH_DEFER_SPF = yes"; cat "$etc/exim4.conf.template"; } >"$etc/t" && mv "$etc/t" "$etc/exim4.conf.template"
	fi
	generate "$etc" "$out"
	sed "s|^resolver = .*|resolver = zone:$T/no-such-zone|" "$T/mailauth.conf" >"$T/broken.conf"
	sed -i "s|^MAILAUTH_CONFIG_FILE = .*|MAILAUTH_CONFIG_FILE = $T/broken.conf|" "$out"
	session "$out" 192.0.2.1
	expect_match "$mode: MAILAUTH_DEFER_SPF defers on temperror" '^refused 451 .*Temporary error while checking SPF' \
		"$(grep -E '^(accepted|refused)' "$T/bh.out" | tail -n 1)"

	# Disabling is the reverse: remove the enabling line.
	if [ $mode = split ]; then
		enable_file="$etc/conf.d/main/000_localmacros"
		enable_re='^MAILAUTH_ENABLE = yes$'
	else
		enable_file="$etc/exim4.conf.template"
		enable_re="^\\.include_if_exists $etc/mailauth/debian\\.conf\$"
	fi
	expect_eq "$mode: the configuration has exactly one enabling line" "1" "$(grep -cE "$enable_re" "$enable_file")"
	grep -vE "$enable_re" "$enable_file" >"$etc/t" && cat "$etc/t" >"$enable_file"
	check_inactive "$mode: disabled" "$etc"

	# A line left in place after a purge (our files gone) enables nothing.
	if [ $mode = split ]; then
		echo "MAILAUTH_ENABLE = yes" >>"$enable_file"
	else
		{ echo ".include_if_exists $etc/mailauth/debian.conf"; cat "$enable_file"; } >"$etc/t" && cat "$etc/t" >"$enable_file"
	fi
	rm -rf "$etc/mailauth" "$etc/conf.d/main/05_exim-mailauth"
	check_inactive "$mode: purged but the line left" "$etc"
done
finish
