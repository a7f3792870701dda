#!/bin/sh
# Policy through Debian's real exim4 as a mail server on 127.0.0.1 (a
# private daemon, DNS from a zone file, DKIM signatures made by Debian's
# python3-dkim), with the DATA ACL of tests/exim/lib-mta.sh:
#   1. aligned mail (DKIM pass, SPF pass) is accepted, filed in the inbox
#      with our Authentication-Results on top, and its signature still
#      verifies with python3-dkim after delivery;
#   2. a spoofed From under p=reject gets the 550 the ACL writes;
#   3. p=quarantine gets the header and is filed into the quarantine maildir
#      by a router reading $acl_m_dmarc; a forged Authentication-Results
#      with our authserv-id (claiming dmarc=pass) is gone from it;
#   4. three messages on one connection (pass, reject, pass) each get their
#      own results;
#   5. locally submitted messages (exim4 -bm, exim4 -bs; no client IP) get
#      DKIM and DMARC;
#   6. with split_spool_directory and spool_wireformat, DATA and BDAT
#      messages verify the same (DKIM pass needs every body byte right).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mta.sh"
command -v swaks >/dev/null || bad "swaks is not installed"

zone="$T/zone"
cat >"$zone" <<'ZONE'
example.org. 300 IN TXT "v=spf1 ip4:127.0.0.1 -all"
_dmarc.example.org. 300 IN TXT "v=DMARC1; p=reject"
spammer.example. 300 IN TXT "v=spf1 ip4:127.0.0.1 -all"
bank.example. 300 IN TXT "v=spf1 -all"
_dmarc.bank.example. 300 IN TXT "v=DMARC1; p=reject"
shop.example. 300 IN TXT "v=spf1 -all"
_dmarc.shop.example. 300 IN TXT "v=DMARC1; p=quarantine"
ZONE
new_key org sel example.org "$zone"

mta_init mx
mta_conf mx mx.example.test
mta_mailauth mx "$zone"
mta_start mx || { finish; exit 1; }
port=$MTA_PORT
log="$T/mx/log/mainlog"

# first_field FILE: the first header field of FILE, unfolded.
first_field() {
	awk 'NR == 1 {h = $0; next} /^[ \t]/ {h = h $0; next} {exit} END {print h}' "$1"
}

# message FILE FROM SUBJECT BODY [EXTRA-HEADER...]: a message with a Date.
message() {
	f=$1; from=$2; subj=$3; body=$4; shift 4
	{
		echo "From: Sender <$from>"
		echo "To: user@example.test"
		echo "Subject: $subj"
		echo "Date: Thu, 01 Jan 2026 12:00:00 +0000"
		echo "Message-ID: <$(basename "$f").$$@test>"
		for h in "$@"; do echo "$h"; done
		echo ""
		printf '%s\n' "$body"
	} >"$f"
}

# ---- 1. aligned mail ----
message "$T/good.raw" alice@example.org "aligned" "$(printf 'Hello.\n\n.a line with a dot\ntrailing blanks   \n')"
sign_message "$T/good.raw" "$T/good" org sel example.org
"$PY" "$CLIENT" --port "$port" --from alice@example.org "$T/good" >"$T/good.out" 2>&1
id_good=$(accepted_id "$T/good.out")
[ -n "$id_good" ] && ok "aligned signed mail is accepted ($id_good)" || bad "aligned mail: $(cat "$T/good.out")"
expect_eq "its SPF result is pass" "pass" "$(mta_result mx "$id_good" spf)"
expect_eq "its DKIM result is pass" "pass" "$(mta_result mx "$id_good" dkim)"
expect_eq "its dmarc_status is accept" "accept" "$(mta_result mx "$id_good" dmarc)"

# ---- 2. spoofed From, p=reject ----
message "$T/spoof" ceo@bank.example "urgent transfer" "Please pay."
"$PY" "$CLIENT" --port "$port" --from x@spammer.example "$T/spoof" >"$T/spoof.out" 2>&1
expect_eq "a spoofed From under p=reject gets the ACL's 550" \
	"refused 550 DMARC policy of bank.example says reject" "$(cat "$T/spoof.out")"
expect_match "the rejection is in the main log" \
	'rejected after DATA: DMARC policy of bank.example says reject' "$(cat "$log")"

# ---- 3. p=quarantine, with a forged Authentication-Results ----
message "$T/quar" news@shop.example "offer" "Buy now." \
	"Authentication-Results: mx.example.test; dmarc=pass header.from=shop.example"
"$PY" "$CLIENT" --port "$port" --from x@spammer.example "$T/quar" >"$T/quar.out" 2>&1
id_quar=$(accepted_id "$T/quar.out")
[ -n "$id_quar" ] && ok "p=quarantine mail is accepted ($id_quar)" || bad "quarantine: $(cat "$T/quar.out")"
expect_eq "its dmarc_status is quarantine" "quarantine" "$(mta_result mx "$id_quar" dmarc)"

# ---- 4. three messages on one connection: pass, reject, pass ----
message "$T/c1.raw" alice@example.org "first" "one"
message "$T/c3.raw" alice@example.org "third" "three, a longer body"
sign_message "$T/c1.raw" "$T/c1" org sel example.org
sign_message "$T/c3.raw" "$T/c3" org sel example.org
message "$T/c2" ceo@bank.example "second" "two"
"$PY" "$CLIENT" --port "$port" --from alice@example.org "$T/c1" "$T/c2" "$T/c3" >"$T/conn.out" 2>&1
id_c1=$(sed -n '1s/^accepted //p' "$T/conn.out")
id_c3=$(sed -n '3s/^accepted //p' "$T/conn.out")
expect_eq "message 1 of the connection is accepted" "accepted" "$(sed -n '1s/ .*//p' "$T/conn.out")"
expect_eq "message 2 (spoofed From) is refused with 550" "refused 550" "$(sed -n '2s/^\(refused [0-9]*\).*/\1/p' "$T/conn.out")"
expect_eq "message 3 is accepted again" "accepted" "$(sed -n '3s/ .*//p' "$T/conn.out")"
expect_eq "message 1: dkim pass" "pass" "$(mta_result mx "$id_c1" dkim)"
id_c2=$(grep ' TEST-RESULT ' "$log" | grep -v -e "id=$id_c1 " -e "id=$id_c3 " -e "id=$id_good " \
	-e "id=$id_quar " | grep ' dmarc=reject ' | tail -n 1 | sed -E 's/.* id=([^ ]+).*/\1/')
f2=$(mta_fields mx "$id_c2")
expect_eq "message 2: dkim none (message 1's signature is not carried over)" "none" \
	"$(field_of "$f2" dkim_verify_status)"
expect_eq "message 2: no DKIM signers" "" "$(field_of "$f2" dkim_signers)"
expect_eq "message 2: its own From domain" "bank.example" "$(field_of "$f2" from_domains)"
expect_eq "message 3: dkim pass" "pass" "$(mta_result mx "$id_c3" dkim)"
expect_eq "message 3: dmarc_status accept (message 2's reject is not carried over)" "accept" \
	"$(mta_result mx "$id_c3" dmarc)"
f3=$(mta_fields mx "$id_c3")
expect_eq "message 3: its own body size" "21" "$(field_of "$f3" body_bytes)"

# ---- 5. local submission: no client IP ----
message "$T/l1.raw" alice@example.org "local" "submitted with -bm"
sign_message "$T/l1.raw" "$T/l1" org sel example.org
"$EXIM" -C "$T/mx/exim.conf" -odq -f alice@example.org user@example.test <"$T/l1" 2>"$T/bm.err"
expect_eq "exim4 -bm accepts the signed message" "0" "$?"
id_bm=$(grep ' TEST-RESULT ' "$log" | tail -n 1 | sed -E 's/.* id=([^ ]+).*/\1/')
expect_eq "-bm: DKIM pass without a client IP" "pass" "$(mta_result mx "$id_bm" dkim)"
expect_eq "-bm: SPF none (nothing to check)" "none" "$(mta_result mx "$id_bm" spf)"
expect_eq "-bm: dmarc_status accept through DKIM alignment" "accept" "$(mta_result mx "$id_bm" dmarc)"
message "$T/l2.raw" alice@example.org "local smtp" "submitted with -bs"
sign_message "$T/l2.raw" "$T/l2" org sel example.org
"$PY" "$CLIENT" --stdin --from alice@example.org "$T/l2" -- "$EXIM" -C "$T/mx/exim.conf" -bs >"$T/bs.out" 2>&1
id_bs=$(accepted_id "$T/bs.out")
[ -n "$id_bs" ] && ok "exim4 -bs accepts the signed message ($id_bs)" || bad "-bs: $(cat "$T/bs.out")"
expect_eq "-bs: DKIM pass without a client IP" "pass" "$(mta_result mx "$id_bs" dkim)"
expect_eq "-bs: dmarc_status accept" "accept" "$(mta_result mx "$id_bs" dmarc)"

# ---- delivery: inbox, quarantine, headers ----
mta_run_queue mx
file=$(mta_file mx inbox "$id_good")
if [ -z "$file" ]; then
	bad "the aligned message was not delivered to the inbox: $(tail -n 3 "$log")"
else
	ok "the aligned message is in the inbox"
	ar=$(first_field "$file")
	expect_match "its first line is our Authentication-Results" \
		'^Authentication-Results: mx\.example\.test;' "$(head -n 1 "$file")"
	expect_match "which says spf=pass" 'spf=pass smtp\.mailfrom=example\.org' "$ar"
	expect_match "and dkim=pass for example.org" 'dkim=pass [^;]*header\.d=example\.org' "$ar"
	expect_match "and dmarc=pass" 'dmarc=pass [^;]*header\.from=example\.org' "$ar"
	expect_match "the delivered message's signature still verifies with python3-dkim" '^dkim: pass$' \
		"$("$PY" "$MAILTOOL" dkimverify "$zone" "$file" 2>&1)"
	expect_no_match "it carries no quarantine header" 'X-Mailauth-Quarantine' "$(cat "$file")"
fi
expect_eq "the quarantined message is not in the inbox" "" "$(mta_file mx inbox "$id_quar")"
file=$(mta_file mx quarantine "$id_quar")
if [ -z "$file" ]; then
	bad "the p=quarantine message is not in the quarantine maildir: $(grep "$id_quar" "$log" | tail -n 3)"
else
	ok "the router files the p=quarantine message into the quarantine maildir"
	expect_match "it carries the ACL's quarantine header" '^X-Mailauth-Quarantine: yes' "$(cat "$file")"
	expect_match "our field on top says dmarc=fail for shop.example" \
		'^Authentication-Results: mx\.example\.test;.*dmarc=fail [^;]*header\.from=shop\.example' \
		"$(first_field "$file")"
	expect_eq "exactly one Authentication-Results field claims mx.example.test" "1" \
		"$(grep -ciE '^Authentication-Results: *mx\.example\.test *;' "$file")"
	expect_no_match "the forged dmarc=pass is gone" 'dmarc=pass header\.from=shop\.example' "$(cat "$file")"
fi
for id in "$id_bm" "$id_bs"; do
	file=$(mta_file mx inbox "$id")
	if [ -n "$file" ]; then
		expect_match "local message $id carries dkim=pass in our field on top" \
			'^Authentication-Results: mx\.example\.test;.*dkim=pass' "$(first_field "$file")"
	else
		bad "local message $id was not delivered"
	fi
done
mta_stop mx

# ---- 6. split_spool_directory + spool_wireformat: DATA and BDAT ----
rm -f "$log"
mta_conf mx mx.example.test "split_spool_directory = true
spool_wireformat = true"
mta_start mx || { finish; exit 1; }
port=$MTA_PORT
head -c -1 "$T/good" >"$T/good.swaks"
swaks --server 127.0.0.1 --port "$port" --helo client.example.org --from alice@example.org \
	--to user@example.test --data "@$T/good.swaks" >"$T/swaks.out" 2>&1
id_sd=$(sed -nE 's/.*250 OK id=([^ ]+).*/\1/p' "$T/swaks.out" | head -n 1)
"$PY" "$CLIENT" --port "$port" --from alice@example.org --bdat 9 "$T/good" >"$T/bdat.out" 2>&1
id_sb=$(accepted_id "$T/bdat.out")
sub=$(printf '%s' "$id_sb" | cut -c6)
if [ -n "$id_sb" ] && [ -f "$T/mx/spool/input/$sub/$id_sb-D" ] &&
	grep -q "$(printf '\r')" "$T/mx/spool/input/$sub/$id_sb-D"; then
	ok "the BDAT message is spooled in wire format in input/$sub/"
else
	bad "no wire-format split spool file for '$id_sb'"
fi
expect_eq "split spool, DATA: dkim pass" "pass" "$(mta_result mx "$id_sd" dkim)"
expect_eq "split spool, BDAT in wire format: dkim pass" "pass" "$(mta_result mx "$id_sb" dkim)"
expect_eq "split spool, BDAT: dmarc_status accept" "accept" "$(mta_result mx "$id_sb" dmarc)"
fd=$(mta_fields mx "$id_sd"); fb=$(mta_fields mx "$id_sb")
expect_eq "DATA and BDAT give the same body size" "$(field_of "$fd" body_bytes)" "$(field_of "$fb" body_bytes)"
expect_eq "DATA and BDAT give the same DKIM results" "$(field_of "$fd" dkim_results)" "$(field_of "$fb" dkim_results)"
# (Not delivered: Debian's exim 4.96 writes a wire-format spooled message
# into a maildir (appendfile maildir_format) without its body, with or
# without this module; an mbox file gets it whole.)
expect_no_match "no expansion failed, nothing panicked" 'failed to expand|panic|temporarily rejected' \
	"$(cat "$log" "$T/mx/log/paniclog" 2>/dev/null)"
mta_stop mx
finish
