#!/bin/sh
# The administrator files of module/conf/ in a hand-written exim.conf (not
# Debian's exim4-config, which tests/exim/debian.sh covers), as the README
# shows it: mailauth.macros in the main section, acl_check_rcpt and
# acl_check_data included in the ACLs with the enforcement macros on, a
# router filing quarantined mail by $acl_m_mailauth_dmarc and an smtp
# transport sealing with MAILAUTH_ARC_SEAL.  Sessions run with
# `exim4 -bh`; DNS comes from a zone file.  Also: mailauth.conf.example
# documents every option the module knows (shared/config.c's table), and
# the example with every option uncommented is accepted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mta.sh"
CONF="$SRCDIR/module/conf"

cat >"$T/zone" <<'ZONE'
example.org. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.example.org. 300 IN TXT "v=DMARC1; p=reject"
bank.example. 300 IN TXT "v=spf1 -all"
_dmarc.bank.example. 300 IN TXT "v=DMARC1; p=reject"
shop.example. 300 IN TXT "v=spf1 -all"
_dmarc.shop.example. 300 IN TXT "v=DMARC1; p=quarantine"
ZONE
new_key arc arc mx.example.test "$T/zone"
cat >"$T/mailauth.conf" <<EOF
resolver = zone:$T/zone
dns_timeout = 5s
arc_selector = arc
arc_domain = mx.example.test
arc_key = $T/keys/arc.pem
EOF

cat >"$T/exim.conf" <<EOF
# Options for the snippets, before mailauth.macros.
MAILAUTH_LIBRARY = $SO
MAILAUTH_CONFIG_FILE = $T/mailauth.conf
MAILAUTH_ENFORCE_DMARC = yes
MAILAUTH_REJECT_BAD_FROM = yes
MAILAUTH_NO_EXIM_DKIM = yes
MAILAUTH_DEFER_DMARC = yes
MAILAUTH_QUARANTINE_HEADER = X-Mailauth-Quarantine: yes
MAILAUTH_SEAL_ON_RECEIPT = yes
.include $CONF/mailauth.macros

primary_hostname = mx.example.test
spool_directory = $T/spool
log_file_path = $T/log/%slog
exim_user = Debian-exim
exim_group = Debian-exim
never_users =
trusted_users = root
domainlist local_domains = example.test
hostlist relay_from_hosts = 127.0.0.1
acl_smtp_rcpt = acl_check_rcpt
acl_smtp_data = acl_check_data
queue_only = true
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
keep_environment =

begin acl

acl_local_deny_exceptions:
  deny

acl_check_rcpt:
  accept hosts = +relay_from_hosts
  .include $CONF/acl_check_rcpt
  accept domains = +local_domains
  deny   message = relay not permitted

acl_check_data:
  .include $CONF/acl_check_data
  warn   logwrite = TEST-DATA arc=\$acl_m_mailauth_arc dmarc=\$acl_m_mailauth_dmarc
  accept

begin routers

remote:
  driver = manualroute
  domains = ! +local_domains
  route_list = * 192.0.2.25
  transport = remote_smtp

quarantine:
  driver = accept
  domains = +local_domains
  condition = \${if eq{\$acl_m_mailauth_dmarc}{quarantine}}
  transport = quarantine

local:
  driver = accept
  domains = +local_domains
  transport = inbox

begin transports

remote_smtp:
  driver = smtp
  headers_add = MAILAUTH_ARC_SEAL

inbox:
  driver = appendfile
  directory = $T/mail/inbox
  maildir_format
  user = Debian-exim

quarantine:
  driver = appendfile
  directory = $T/mail/quarantine
  maildir_format
  user = Debian-exim
EOF

out=$("$EXIM" -C "$T/exim.conf" -bV 2>&1)
expect_match "exim4 -bV accepts the hand-written configuration" '^Exim version 4' "$out"
expect_no_match "without configuration errors" 'error|Exim configuration' "$out"
out=$("$EXIM" -C "$T/exim.conf" -bP transport remote_smtp 2>&1 | grep headers_add)
expect_match "MAILAUTH_ARC_SEAL selects MAILAUTH_CONFIG_FILE in the transport" \
	"config\\}\\{$T/mailauth.conf\\}\\}\\}\\{ok\\}.*arc_seal" "$out"

write_message "$T/good" a@example.org "aligned by SPF"
write_message "$T/spoof" ceo@bank.example "spoofed"
write_message "$T/quar" news@shop.example "quarantine me"
# An unbalanced bracket: mail programs may still show bank.example, DMARC
# cannot evaluate it (nofrom), MAILAUTH_REJECT_BAD_FROM refuses it.
printf 'From: CEO <ceo@bank.example\nTo: user@example.test\nSubject: test\n\nbad From\n' >"$T/badfrom"
"$PY" "$CLIENT" --stdin --from a@example.org "$T/good" "$T/spoof" "$T/quar" "$T/badfrom" -- \
	"$EXIM" -C "$T/exim.conf" -bh 192.0.2.1 >"$T/bh.out" 2>&1
res=$(grep -E '^(accepted|refused)' "$T/bh.out")
expect_eq "aligned mail is accepted" "accepted" "$(echo "$res" | sed -n '1s/ .*//p')"
expect_eq "a spoofed From under p=reject gets the snippet's 550" \
	"refused 550 Rejected by the DMARC policy of bank.example." "$(echo "$res" | sed -n '2p')"
expect_eq "p=quarantine mail is accepted" "accepted" "$(echo "$res" | sed -n '3s/ .*//p')"
expect_eq "MAILAUTH_REJECT_BAD_FROM refuses an unusable From field" \
	"refused 550 The message has no valid From: header field (RFC 5322 3.6)." \
	"$(echo "$res" | sed -n '4p')"
body=$(grep -v '^>>>' "$T/bh.out")
expect_eq "acl_check_data sets acl_m_mailauth_dmarc" "accept" "$(logged DATA dmarc 1)"
expect_eq "acl_check_data sets acl_m_mailauth_arc (arc_state)" "none" "$(logged DATA arc 1)"
expect_eq "the quarantined message's acl_m_mailauth_dmarc is quarantine" "quarantine" "$(logged DATA dmarc 2)"
expect_match "the quarantine header is added" ':?X-Mailauth-Quarantine: yes' "$(cat "$T/bh.out")"
expect_match "our Authentication-Results goes on top" \
	':at_start:Authentication-Results: mx\.example\.test;' "$(cat "$T/bh.out")"
expect_match "MAILAUTH_SEAL_ON_RECEIPT adds an ARC-Seal on top" ':at_start:ARC-Seal: i=1;' "$(cat "$T/bh.out")"
expect_match "and the ARC-Message-Signature" ':at_start:ARC-Message-Signature: i=1;' "$(cat "$T/bh.out")"
expect_match "and the ARC-Authentication-Results" ':at_start:ARC-Authentication-Results: i=1; mx\.example\.test;' \
	"$(cat "$T/bh.out")"
expect_no_match "no expansion failed" 'failed to expand|temporarily rejected' "$body"

# A relay host (127.0.0.1) is not evaluated; a message from it is accepted.
"$PY" "$CLIENT" --stdin --from a@example.org "$T/spoof" -- \
	"$EXIM" -C "$T/exim.conf" -bh 127.0.0.1 >"$T/relay.out" 2>&1
expect_match "a relay host's spoofed From is not refused" '^accepted' "$(grep -E '^(accepted|refused)' "$T/relay.out")"
expect_no_match "and not sealed" ':at_start:ARC-Seal' "$(cat "$T/relay.out")"

# MAILAUTH_DEFER_DMARC: a bad mailauth.conf makes every result temperror.
cp "$T/mailauth.conf" "$T/mailauth.conf.good"
echo "no_such_option = 1" >>"$T/mailauth.conf"
"$PY" "$CLIENT" --stdin --from a@example.org "$T/good" -- \
	"$EXIM" -C "$T/exim.conf" -bh 192.0.2.1 >"$T/bad.out" 2>&1
expect_eq "MAILAUTH_DEFER_DMARC answers 451 on temperror" \
	"refused 451 Temporary error while authenticating the message. Try again later." \
	"$(grep -E '^(accepted|refused)' "$T/bad.out")"
cp "$T/mailauth.conf.good" "$T/mailauth.conf"

# mailauth.conf.example documents every option of shared/config.c.
options=$(sed -nE 's/^[[:space:]]*\{ "([a-z_0-9]+)", set_.*/\1/p' "$SRCDIR/shared/config.c")
n=0
for o in $options; do
	n=$((n + 1))
	if grep -qE "^#$o = " "$CONF/mailauth.conf.example" && grep -qE "^# ([a-z_0-9]+, )*$o(, [a-z_0-9]+)*:" "$CONF/mailauth.conf.example"; then
		:
	else
		bad "mailauth.conf.example does not document $o (a '# $o: ...' paragraph and a '#$o = ' line)"
	fi
done
[ "$n" -ge 20 ] && ok "mailauth.conf.example documents all $n options of shared/config.c" \
	|| bad "only $n options found in shared/config.c"
extra=$(grep -oE '^#[a-z_0-9]+ = ' "$CONF/mailauth.conf.example" | sed -E 's/^#([a-z_0-9]+) = /\1/' |
	grep -vxF -e "$(echo "$options" | tr ' ' '\n')" | tr '\n' ' ')
expect_eq "mailauth.conf.example shows no option the module does not know" "" "$extra"
sed -E 's/^#([a-z_0-9]+ = )/\1/' "$CONF/mailauth.conf.example" >"$T/example.conf"
out=$("$EXIM" -C "$T/exim.conf" -be "\${dlfunc{MAILAUTH_LIBRARY}{config}{$T/example.conf}}" 2>&1)
expect_eq "the example with every option uncommented is accepted" "ok" "$out"
finish
