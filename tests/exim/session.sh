#!/bin/sh
# SMTP sessions through Debian's real exim4 (`exim4 -C test.conf -bh IP`):
# the dlfuncs return sane values in the RCPT and DATA ACLs, the body is read
# from the spool data file, two messages on one connection get their own
# results, and authres gives a well-formed Authentication-Results field.
. "$(dirname "$0")/lib.sh"
write_mailauth_conf
write_test_conf
spf_words='^(pass|fail|softfail|neutral|none|permerror|temperror)$'
dmarc_words='^(accept|reject|quarantine|none|norecord|nofrom|temperror|off)$'

write_message "$T/m1" a@example.org "hello"
write_message "$T/m2" a@example.org "a longer body for the second message"
bh 192.0.2.1 "$T/m1" "$T/m2"
out=$(cat "$T/bh.out")

expect_eq "the connect ACL selects the test configuration" "ok" "$(logged CONNECT config)"
expect_match "two messages are accepted on one connection" \
	'^accepted .*accepted ' "$(grep -E '^(accepted|refused)' "$T/bh.out" | tr '\n' ' ')"
expect_match "spf in the RCPT ACL returns an SPF result word" "$spf_words" "$(logged RCPT spf 1)"
expect_eq "get before any spf call in the first transaction is empty" "" "$(logged RCPT before 1)"
expect_match "verify in the DATA ACL returns a DMARC status word" "$dmarc_words" "$(logged DATA verify 1)"
expect_match "get spf_result in the DATA ACL is an SPF result word" "$spf_words" "$(logged DATA spf 1)"
expect_eq "get dmarc_status agrees with verify" "$(logged DATA verify 1)" "$(logged DATA dmarc 1)"

# Body sizes as the spool holds them: LF line ends, one per line.
expect_eq "the first message's body is read from the spool (6 bytes)" "6" "$(logged DATA body 1)"
expect_eq "the second message's body is read from the spool (37 bytes)" "37" "$(logged DATA body 2)"
id1=$(logged DATA id 1); id2=$(logged DATA id 2)
if [ -n "$id1" ] && [ -n "$id2" ] && [ "$id1" != "$id2" ]; then
	ok "the two messages have their own message ids ($id1, $id2)"
else
	bad "message ids: '$id1' '$id2'"
fi
expect_eq "the second transaction does not see the first message's results before spf" \
	"" "$(logged RCPT before 2)"
f1=$(logged_fields 1); f2=$(logged_fields 2)
expect_eq "fields of message 1 carry its own body size" "6" "$(field_of "$f1" body_bytes)"
expect_eq "fields of message 2 carry its own body size" "37" "$(field_of "$f2" body_bytes)"
expect_match "fields are name=\"value\" pairs" '^[a-z_0-9]+="' "$f1"
expect_eq "fields name the From domain of the message" "example.org" "$(field_of "$f1" from_domains)"
expect_eq "the DMARC policy comes from the test zone" "reject" "$(field_of "$f1" dmarc_domain_policy)"
expect_no_match "no expansion failed in the ACLs" 'failed to expand|temporarily rejected|^4[0-9][0-9] ' \
	"$(grep -v '^>>>' "$T/bh.out")"

# authres: the field as the DATA ACL adds it (-bh prints added headers).
ar=$(grep -E '^>>> +=? *:at_start:Authentication-Results:' "$T/bh.out" | head -n 1 | sed 's/.*:at_start://')
expect_match "authres starts with our authserv-id" '^Authentication-Results: mx\.example\.test;' "$ar"

# get/verify errors are expansion errors naming the problem.
cat >"$T/errs.conf" <<CONF
MAILAUTH = $SO
primary_hostname = mx.example.test
spool_directory = $T/spool
log_file_path = $T/log/%slog
exim_user = Debian-exim
exim_group = Debian-exim
CONF
out=$("$EXIM" -C "$T/errs.conf" -be '${dlfunc{MAILAUTH}{get}{no_such_field}}' 2>&1)
expect_match "get of an unknown field is an expansion error naming it" "unknown field 'no_such_field'" "$out"
out=$("$EXIM" -C "$T/errs.conf" -be '${dlfunc{MAILAUTH}{get}{dmarc_status}}' 2>&1)
expect_eq "get of a known field with nothing evaluated is empty" "" "$out"
out=$("$EXIM" -C "$T/errs.conf" -be '${dlfunc{MAILAUTH}{get}{a b}}' 2>&1)
expect_match "get of a non-name is an expansion error" "not a field name" "$out"
out=$("$EXIM" -C "$T/errs.conf" -be '${dlfunc{MAILAUTH}{get}}' 2>&1)
expect_match "get without an argument is an expansion error" "expects one argument" "$out"
out=$("$EXIM" -C "$T/errs.conf" -be '${dlfunc{MAILAUTH}{verify}}' 2>&1)
expect_match "verify outside a message is an expansion error" "no message is being received" "$out"
out=$("$EXIM" -C "$T/errs.conf" -be '${dlfunc{MAILAUTH}{authres}}' 2>&1)
expect_eq "authres with nothing evaluated says none" "Authentication-Results: mx.example.test; none" "$out"
out=$("$EXIM" -C "$T/errs.conf" -be '${dlfunc{MAILAUTH}{arc_seal}}' 2>&1)
expect_eq "arc_seal without sealing configured is empty" "" "$out"
out=$("$EXIM" -C "$T/errs.conf" -be '${dlfunc{MAILAUTH}{fields}}' 2>&1)
expect_eq "fields with nothing evaluated is empty" "" "$out"
out=$("$EXIM" -C "$T/errs.conf" -be "\${dlfunc{MAILAUTH}{config}{$T/mailauth.conf}}\${dlfunc{MAILAUTH}{spf}{192.0.2.1}{client.example.org}{a@example.org}}:\${dlfunc{MAILAUTH}{get}{spf_result}}" 2>&1)
expect_match "spf with explicit arguments works outside an SMTP session" \
	'^ok(pass|fail|softfail|neutral|none|permerror|temperror):' "$out"
spfw=${out#ok}; spfw=${spfw%%:*}
expect_eq "get spf_result after spf shows the same word" "$spfw" "${out##*:}"
out=$("$EXIM" -C "$T/errs.conf" -be '${dlfunc{MAILAUTH}{spf}{1}{2}{3}{4}}' 2>&1)
expect_match "spf with too many arguments is an expansion error" "at most 3 arguments" "$out"
finish
