#!/bin/sh
# Locally submitted messages through Debian's real exim4: `exim4 -bm` (the
# non-SMTP ACL) and `exim4 -bs` (SMTP on standard input).  Neither has a
# client IP address; the module must still read the message and answer.
. "$(dirname "$0")/lib.sh"
write_mailauth_conf
write_test_conf
spf_words='^(pass|fail|softfail|neutral|none|permerror|temperror)$'
dmarc_words='^(accept|reject|quarantine|none|norecord|nofrom|temperror|off)$'
log="$T/log/mainlog"

# -bm: acl_not_smtp (which selects the test configuration itself: there is
# no connection, so no connect ACL).
write_message "$T/m1" a@example.org "a locally submitted message"
"$EXIM" -C "$T/exim.conf" -odq -f a@example.org user@example.test <"$T/m1" 2>"$T/bm.err"
rc=$?
expect_eq "exim4 -bm accepts the message" "0" "$rc"
expect_match "verify in acl_not_smtp returns a DMARC status word" "$dmarc_words" "$(logged DATA verify 1 "$log")"
expect_eq "the body of a -bm message is read from the spool" "28" "$(logged DATA body 1 "$log")"
f=$(logged_fields 1 "$log")
expect_eq "fields of a -bm message name its From domain" "example.org" "$(field_of "$f" from_domains)"
expect_match "get spf_result without a client IP is an SPF word" "$spf_words" "$(logged DATA spf 1 "$log")"
expect_no_match "no expansion failed" 'failed to expand|temporarily rejected' "$(cat "$log" "$T/bm.err")"
id=$(logged DATA id 1 "$log")
deliver_queue
file=$(delivered_file "$id")
if [ -n "$file" ]; then
	ok "the -bm message is delivered"
	expect_match "it carries our Authentication-Results at the top" \
		'^Authentication-Results: mx\.example\.test;' "$(head -n 1 "$file")"
else
	bad "the -bm message $id was not delivered: $(tail -n 5 "$log")"
fi

# -bs: SMTP over standard input, as a local MUA does.
write_message "$T/m2" a@example.org "one line"
"$PY" "$CLIENT" --stdin "$T/m2" -- "$EXIM" -C "$T/exim.conf" -bs >"$T/bs.out" 2>&1
expect_match "exim4 -bs accepts the message" '^accepted ' "$(grep -E '^(accepted|refused)' "$T/bs.out")"
expect_eq "the connect ACL runs for -bs and selects the file" "ok" "$(logged CONNECT config 1 "$log")"
expect_match "spf without a client IP returns an SPF word" "$spf_words" "$(logged RCPT spf 1 "$log")"
expect_match "verify for a -bs message returns a DMARC status word" "$dmarc_words" "$(logged DATA verify 2 "$log")"
expect_eq "the body of a -bs message is read from the spool" "9" "$(logged DATA body 2 "$log")"
finish
