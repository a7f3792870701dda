#!/bin/sh
# ARC forwarding through two Debian exim4 daemons on 127.0.0.1.
#
#   origin  a message DKIM-signed by author.example (python3-dkim), whose
#           DMARC policy is p=reject and whose SPF allows only 192.0.2.0/24;
#   fwd     the forwarder (mx.fwd.example): verifies (DKIM pass, so DMARC
#           passes), tags the Subject in its DATA ACL (which breaks the
#           DKIM signature), and seals in its smtp transport with
#               headers_add = ${dlfunc{MAILAUTH}{arc_seal}}
#           (arc_selector/arc_domain/arc_key in its mailauth.conf);
#   mx      the final server: SPF fails (the forwarder's address), DKIM
#           fails (the Subject changed), ARC passes; with fwd.example in
#           trusted_arc_sealers DMARC's reject is overridden
#           (dmarc_override=local_policy) and the message is delivered.
# Debian's own arcverify (python3-dkim, DNS answered from the same zone)
# must pass the delivered file; without the trusted sealer the same
# message gets the 550.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mta.sh"

zone="$T/zone"
cat >"$zone" <<'ZONE'
author.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.author.example. 300 IN TXT "v=DMARC1; p=reject"
ZONE
new_key author s1 author.example "$zone"
new_key fwdarc arc fwd.example "$zone"

mta_init mx
mta_conf mx mx.example.test
mta_mailauth mx "$zone" "trusted_arc_sealers = fwd.example"
mta_start mx || { finish; exit 1; }
mx_port=$MTA_PORT
mxlog="$T/mx/log/mainlog"

mta_init fwd
mta_conf fwd mx.fwd.example "FORWARD_PORT = $mx_port
ARC_SEAL = yes
SUBJECT_TAG = yes
UNVERIFIED_SENDER = unverified@fwd.example"
mta_mailauth fwd "$zone" "arc_selector = arc
arc_domain = fwd.example
arc_key = $T/keys/fwdarc.pem"
mta_start fwd || { finish; exit 1; }
fwd_port=$MTA_PORT
fwdlog="$T/fwd/log/mainlog"

{
	echo "From: Joe <joe@author.example>"
	echo "To: user@example.test"
	echo "Subject: dinner"
	echo "Date: Thu, 01 Jan 2026 12:00:00 +0000"
	echo "Message-ID: <arc.$$@author.example>"
	echo ""
	echo "Are you hungry yet?"
} >"$T/m.raw"
sign_message "$T/m.raw" "$T/m" author s1 author.example

# ---- at the forwarder ----
"$PY" "$CLIENT" --port "$fwd_port" --from joe@author.example "$T/m" >"$T/fwd.out" 2>&1
fwd_id=$(accepted_id "$T/fwd.out")
[ -n "$fwd_id" ] && ok "the forwarder accepts the signed message ($fwd_id)" || bad "fwd: $(cat "$T/fwd.out")"
expect_eq "the forwarder sees DKIM pass" "pass" "$(mta_result fwd "$fwd_id" dkim)"
expect_eq "the forwarder sees SPF fail (127.0.0.1 is not allowed)" "fail" "$(mta_result fwd "$fwd_id" spf)"
expect_eq "the forwarder's dmarc_status is accept (DKIM aligned)" "accept" "$(mta_result fwd "$fwd_id" dmarc)"
expect_eq "no ARC chain yet" "none" "$(mta_result fwd "$fwd_id" arc)"
mta_run_queue fwd
expect_match "the forwarder delivers to mx" "$fwd_id => user@example.test .* C=\"250 OK id=" "$(cat "$fwdlog")"
mx_id=$(sed -nE "s/.*$fwd_id => user@example\.test .* C=\"250 OK id=([^\"]+)\".*/\1/p" "$fwdlog" | head -n 1)
expect_no_match "the forwarder logs no sealing problem" 'mailauth: .*(ARC|arc_)' "$(cat "$fwdlog")"

# ---- at mx ----
f=$(mta_fields mx "$mx_id")
expect_eq "mx: SPF fail (the forwarder is not author.example's host)" "fail" "$(mta_result mx "$mx_id" spf)"
expect_eq "mx: DKIM fail (the Subject was changed)" "fail" "$(mta_result mx "$mx_id" dkim)"
expect_eq "mx: arc_state pass" "pass" "$(mta_result mx "$mx_id" arc)"
expect_eq "mx: arc_domains names the forwarder" "fwd.example" "$(field_of "$f" arc_domains)"
expect_eq "mx: DMARC itself fails" "fail" "$(field_of "$f" dmarc_result)"
expect_eq "mx: the domain's policy is reject" "reject" "$(field_of "$f" dmarc_domain_policy)"
expect_eq "mx: the trusted sealer overrides it (dmarc_override=local_policy)" "local_policy" \
	"$(mta_result mx "$mx_id" override)"
expect_match "mx: the override names the sealer" 'arc=pass.*fwd\.example' "$(field_of "$f" dmarc_override_comment)"
expect_match "mx: dmarc_status is not reject" '^(none|accept|quarantine)$' "$(mta_result mx "$mx_id" dmarc)"
mta_run_queue mx
file=$(mta_file mx inbox "$mx_id")
if [ -z "$file" ]; then
	bad "the forwarded message is not in mx's inbox: $(tail -n 3 "$mxlog")"
else
	ok "the forwarded message is delivered at mx"
	expect_match "it carries the forwarder's change" '^Subject: \[fwd\] dinner$' "$(cat "$file")"
	expect_eq "it carries one ARC set" "1 1 1" \
		"$(grep -c '^ARC-Seal: i=1;' "$file") $(grep -c '^ARC-Message-Signature: i=1;' "$file") $(grep -c '^ARC-Authentication-Results: i=1;' "$file")"
	expect_match "the seal says cv=none and d=fwd.example" 'cv=none.*d=fwd\.example|d=fwd\.example.*cv=none' \
		"$(sed -n '/^ARC-Seal:/,/^[^ \t]/p' "$file" | tr -d '\n')"
	expect_match "the AAR carries the forwarder's results (dkim=pass, dmarc=pass)" \
		'^ARC-Authentication-Results: i=1; mx\.fwd\.example;.*dkim=pass.*dmarc=pass' \
		"$(sed -n '/^ARC-Authentication-Results:/,/^[^ \t]/p' "$file" | sed '$d' | tr -d '\n')"
	av=$("$PY" "$MAILTOOL" arcverify "$zone" "$file" 2>&1)
	# (dkimpy 1.1.4 prints the bytes repr: "cv=b'pass' success".)
	expect_match "Debian's arcverify passes the delivered file" "^arc verification: cv=(b')?pass'? success" "$av"
	expect_match "python3-dkim agrees the original DKIM signature is broken" '^dkim: fail$' \
		"$("$PY" "$MAILTOOL" dkimverify "$zone" "$file" 2>&1)"
	expect_match "mx's own field says arc=pass" '^Authentication-Results: mx\.example\.test;.*arc=pass' \
		"$(awk 'NR == 1 {h = $0; next} /^[ \t]/ {h = h $0; next} {exit} END {print h}' "$file")"
	cp "$file" "$T/delivered"
fi

# ---- a forged Authentication-Results in mail the forwarder did not verify ----
# (like mail from relay_from_hosts: verify never ran, so nothing removed the
# field).  It claims the forwarder's authserv-id below the forwarder's own
# Received:, so the transport's seal must carry a fresh evaluation, never it.
{
	echo "Authentication-Results: mx.fwd.example; dkim=pass header.d=author.example;"
	echo "	dmarc=pass (forged-by-sender) header.from=author.example"
	echo "From: Joe <joe@author.example>"
	echo "To: user@example.test"
	echo "Subject: forged results"
	echo "Message-ID: <forged.$$@author.example>"
	echo ""
	echo "Trust me."
} >"$T/forged"
"$PY" "$CLIENT" --port "$fwd_port" --from unverified@fwd.example "$T/forged" >"$T/fwd3.out" 2>&1
fwd3_id=$(accepted_id "$T/fwd3.out")
[ -n "$fwd3_id" ] && ok "the forwarder takes unverified mail with a forged field ($fwd3_id)" \
	|| bad "fwd: $(cat "$T/fwd3.out")"
mta_run_queue fwd
mx3_id=$(sed -nE "s/.*$fwd3_id => user@example\.test .* C=\"250 OK id=([^\"]+)\".*/\1/p" "$fwdlog" | head -n 1)
mta_run_queue mx
file3=$(mta_file mx inbox "$mx3_id")
if [ -z "$file3" ]; then
	bad "the message with the forged field is not in mx's inbox: $(tail -n 3 "$mxlog")"
else
	aar3=$(sed -n '/^ARC-Authentication-Results:/,/^[^ \t]/p' "$file3" | sed '$d' | tr -d '\n')
	expect_match "it was sealed" '^ARC-Authentication-Results: i=1; mx\.fwd\.example;' "$aar3"
	expect_no_match "the seal does not carry the forged results" 'forged-by-sender' "$aar3"
	expect_match "the seal carries the forwarder's own evaluation (dmarc=fail)" 'dmarc=fail' "$aar3"
fi

# ---- sealing in the DATA ACL instead (a second forwarder, no change) ----
mta_init fwd2
mta_conf fwd2 mx2.fwd.example "FORWARD_PORT = $mx_port
ACL_SEAL = yes"
cp "$T/fwd/mailauth.conf" "$T/fwd2/mailauth.conf"
mta_start fwd2 || { finish; exit 1; }
"$PY" "$CLIENT" --port "$MTA_PORT" --from joe@author.example "$T/m" >"$T/fwd2.out" 2>&1
fwd2_id=$(accepted_id "$T/fwd2.out")
[ -n "$fwd2_id" ] && ok "the second forwarder accepts the message ($fwd2_id)" || bad "fwd2: $(cat "$T/fwd2.out")"
mta_run_queue fwd2
mx2_id=$(sed -nE "s/.*$fwd2_id => user@example\.test .* C=\"250 OK id=([^\"]+)\".*/\1/p" "$T/fwd2/log/mainlog" | head -n 1)
expect_eq "mx: arc_state pass for the set added in the DATA ACL" "pass" "$(mta_result mx "$mx2_id" arc)"
expect_eq "mx: DKIM still passes (nothing was changed)" "pass" "$(mta_result mx "$mx2_id" dkim)"
mta_run_queue mx
file=$(mta_file mx inbox "$mx2_id")
if [ -z "$file" ]; then
	bad "the message sealed in the DATA ACL is not in mx's inbox"
else
	names=$(sed -n '1,/^$/p' "$file" | grep -oE '^[A-Za-z-]+:' | tr '\n' ' ')
	expect_match "the DATA ACL put the ARC set on top of the forwarder's fields, in order" \
		'ARC-Seal: ARC-Message-Signature: ARC-Authentication-Results: Authentication-Results: Received: DKIM-Signature:' \
		"$names"
	av=$("$PY" "$MAILTOOL" arcverify "$zone" "$file" 2>&1)
	expect_match "Debian's arcverify passes it" "^arc verification: cv=(b')?pass'? success" "$av"
	expect_match "its AAR carries the forwarder's results" \
		'^ARC-Authentication-Results: i=1; mx2\.fwd\.example;.*dkim=pass.*dmarc=pass' \
		"$(sed -n '/^ARC-Authentication-Results:/,/^[^ \t]/p' "$file" | sed '$d' | tr -d '\n')"
fi
mta_stop fwd2

# ---- without the trusted sealer: the same forwarded message is rejected ----
mta_mailauth mx "$zone"
{
	echo "From: Joe <joe@author.example>"
	echo "To: user@example.test"
	echo "Subject: dinner again"
	echo "Date: Thu, 01 Jan 2026 12:00:00 +0000"
	echo "Message-ID: <arc2.$$@author.example>"
	echo ""
	echo "Still hungry."
} >"$T/m2.raw"
sign_message "$T/m2.raw" "$T/m2" author s1 author.example
"$PY" "$CLIENT" --port "$fwd_port" --from joe@author.example "$T/m2" >"$T/fwd2.out" 2>&1
fwd_id2=$(accepted_id "$T/fwd2.out")
mta_run_queue fwd
expect_match "without fwd.example in trusted_arc_sealers mx answers the ACL's 550" \
	"$fwd_id2 \\*\\* user@example.test .* 550 DMARC policy of author.example says reject" "$(cat "$fwdlog")"
line=$(grep ' TEST-RESULT ' "$mxlog" | tail -n 1)
expect_match "and its verify still says arc=pass, no override" 'dmarc=reject .*arc=pass +override=$' "$line"
expect_no_match "no expansion failed, nothing panicked" 'failed to expand|panic' \
	"$(cat "$mxlog" "$fwdlog" "$T"/*/log/paniclog 2>/dev/null)"
mta_stop fwd
mta_stop mx
finish
