#!/bin/sh
# DNS failure through Debian's real exim4: nothing is lost.
#
# A sending Exim ("relay", a plain relay without the module) forwards a
# DKIM-signed message to the receiving Exim ("mx", a daemon on 127.0.0.1
# with the DATA ACL of tests/exim/lib-mta.sh).  While the DMARC record of the
# From domain times out (zone line `_dmarc.example.org. TIMEOUT`: the query
# goes to a socket nobody answers), mx answers 451 and the message stays on
# the relay's queue.  Once DNS works (mx's mailauth.conf points at a zone
# without the TIMEOUT line; each SMTP connection reads it afresh) the
# relay's retry is accepted and the message is delivered with dmarc=pass.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mta.sh"

good="$T/zone.good"; broken="$T/zone.broken"
cat >"$good" <<'ZONE'
example.org. 300 IN TXT "v=spf1 ip4:127.0.0.1 -all"
_dmarc.example.org. 300 IN TXT "v=DMARC1; p=reject"
ZONE
new_key org sel example.org "$good"
grep -v '^_dmarc\.' "$good" >"$broken"
echo "_dmarc.example.org. TIMEOUT" >>"$broken"

mta_init mx
mta_conf mx mx.example.test
DNS_TIMEOUT=1s mta_mailauth mx "$broken"
mta_start mx || { finish; exit 1; }
mx_port=$MTA_PORT
mxlog="$T/mx/log/mainlog"

mta_init relay
mta_conf relay relay.example.org "PLAIN_RELAY = yes
FORWARD_PORT = $mx_port"
relaylog="$T/relay/log/mainlog"

{
	echo "From: Alice <alice@example.org>"
	echo "To: user@example.test"
	echo "Subject: please retry"
	echo "Date: Thu, 01 Jan 2026 12:00:00 +0000"
	echo "Message-ID: <defer.$$@example.org>"
	echo ""
	echo "Nothing may be lost."
} >"$T/m.raw"
sign_message "$T/m.raw" "$T/m" org sel example.org

# Directly: the SMTP client sees the 451 the ACL writes.
"$PY" "$CLIENT" --port "$mx_port" --from alice@example.org "$T/m" >"$T/direct.out" 2>&1
expect_eq "a DNS timeout gives the ACL's 451" "refused 451 mailauth temperror: try again later" \
	"$(cat "$T/direct.out")"
expect_match "mx logs dmarc=temperror for it" 'TEST-RESULT id=[^ ]+ dmarc=temperror ' "$(cat "$mxlog")"
expect_match "and the temporary rejection" 'temporarily rejected after DATA: mailauth temperror' "$(cat "$mxlog")"
f=$(grep ' TEST-FIELDS ' "$mxlog" | head -n 1)
expect_eq "the DKIM key was still found: dkim pass" "pass" "$(field_of "$f" dkim_verify_status)"
expect_eq "dmarc_status_text names the DNS problem" "Temporary DNS error" "$(field_of "$f" dmarc_status_text)"

# Through the relay: submitted locally, forwarded, deferred, kept.
"$EXIM" -C "$T/relay/exim.conf" -odq -f alice@example.org user@example.test <"$T/m"
expect_eq "the relay queues the message" "1" "$(mta_queue_count relay)"
relay_id=$(sed -nE 's/.* ([^ ]+) <= alice@example\.org .*/\1/p' "$relaylog" | head -n 1)
t0=$(date +%s)
mta_run_queue relay
expect_match "the relay's delivery attempt is deferred with mx's 451" \
	"$relay_id == user@example.test .* 451 mailauth temperror: try again later" "$(cat "$relaylog")"
expect_eq "the message is still on the relay's queue" "1" "$(mta_queue_count relay)"
expect_eq "nothing was delivered at mx" "" "$(ls "$T/mx/mail/inbox/new" 2>/dev/null)"
expect_no_match "no bounce was generated" '<= <> ' "$(cat "$relaylog")"
elapsed=$(( $(date +%s) - t0 ))
if [ "$elapsed" -lt 10 ]; then
	ok "the deferral took ${elapsed}s (dns_timeout 1s), not the SMTP timeout"
else
	bad "the deferral took ${elapsed}s"
fi

# DNS works again: the retry is accepted.
DNS_TIMEOUT=1s mta_mailauth mx "$good"
mta_run_queue relay
expect_eq "the relay's retry empties its queue" "0" "$(mta_queue_count relay)"
expect_match "the relay logs the delivery to mx" "$relay_id => user@example.test .* C=\"250 OK id=" "$(cat "$relaylog")"
mx_id=$(sed -nE "s/.*$relay_id => user@example\.test .* C=\"250 OK id=([^\"]+)\".*/\1/p" "$relaylog" | head -n 1)
expect_eq "mx accepts the retry with dmarc_status accept" "accept" "$(mta_result mx "$mx_id" dmarc)"
mta_run_queue mx
file=$(mta_file mx inbox "$mx_id")
if [ -n "$file" ]; then
	ok "the retried message is delivered at mx"
	expect_match "with dmarc=pass in our Authentication-Results" \
		'dmarc=pass' "$(awk 'NR == 1 {h = $0; next} /^[ \t]/ {h = h $0; next} {exit} END {print h}' "$file")"
	expect_match "and its body" '^Nothing may be lost\.$' "$(cat "$file")"
else
	bad "the retried message $mx_id is not in mx's inbox: $(tail -n 3 "$mxlog")"
fi
expect_no_match "no expansion failed, nothing panicked" 'failed to expand|panic' \
	"$(cat "$mxlog" "$relaylog" "$T"/*/log/paniclog 2>/dev/null)"
mta_stop mx
finish
