#!/bin/sh
# The configuration file through Debian's real exim4: the `config` dlfunc
# selects a file; a bad file is reported with file:line in the main log and
# turns every result into temperror (never an expansion failure, never a
# crash); without any file the module runs on its defaults.
. "$(dirname "$0")/lib.sh"
write_mailauth_conf
write_test_conf
write_message "$T/m1" a@example.org "hello"

# -be: the dlfunc's own answers.
out=$("$EXIM" -C "$T/exim.conf" -be "\${dlfunc{MAILAUTH}{config}{$T/mailauth.conf}}" 2>&1)
expect_eq "config with a good file returns ok" "ok" "$out"
printf 'resolver = zone:%s\nfrobnicate = yes\n' "$T/zone" >"$T/bad.conf"
out=$("$EXIM" -C "$T/exim.conf" -be "\${dlfunc{MAILAUTH}{config}{$T/bad.conf}}" 2>"$T/be.err")
expect_eq "config with a bad file returns the problem with file:line" \
	"error: configuration error: $T/bad.conf:2: unknown option 'frobnicate'" "$out"
expect_match "and logs it with the mailauth prefix" \
	"mailauth: configuration error: $T/bad.conf:2: unknown option 'frobnicate'; results are temperror" \
	"$(cat "$T/be.err")"
out=$("$EXIM" -C "$T/exim.conf" -be "\${dlfunc{MAILAUTH}{config}{$T/absent.conf}}" 2>&1)
expect_match "config with a missing file is an error (only the default file may be absent)" \
	"^error: configuration error: $T/absent.conf: No such file" "$out"
out=$("$EXIM" -C "$T/exim.conf" -be '${dlfunc{MAILAUTH}{config}}' 2>&1)
expect_match "config without a path is an expansion error" "expects one argument" "$out"
out=$("$EXIM" -C "$T/exim.conf" -be "\${dlfunc{MAILAUTH}{config}{$T/bad.conf}}:\${dlfunc{MAILAUTH}{spf}{192.0.2.1}{h.example.org}{a@example.org}}:\${dlfunc{MAILAUTH}{get}{mailauth_error}}" 2>/dev/null)
expect_eq "with a bad file spf is temperror and mailauth_error says why" \
	"error: configuration error: $T/bad.conf:2: unknown option 'frobnicate':temperror:configuration error: $T/bad.conf:2: unknown option 'frobnicate'" "$out"
out=$("$EXIM" -C "$T/exim.conf" -be "\${dlfunc{MAILAUTH}{config}{$T/bad.conf}}\${dlfunc{MAILAUTH}{config}{$T/mailauth.conf}}:\${dlfunc{MAILAUTH}{spf}{192.0.2.1}{h.example.org}{a@example.org}}:\${dlfunc{MAILAUTH}{get}{mailauth_error}}" 2>/dev/null)
expect_match "selecting a good file after a bad one recovers" "^error: .*ok:[a-z]+:$" "$out"

# A whole SMTP session with the bad file.
cp "$T/bad.conf" "$T/mailauth.conf"
bh 192.0.2.1 "$T/m1"
expect_eq "the connect ACL gets the error text" "error:" "$(logged CONNECT config)"
expect_match "the message is still accepted" '^accepted ' "$(grep -E '^(accepted|refused)' "$T/bh.out")"
expect_eq "spf returns temperror with a bad configuration" "temperror" "$(logged RCPT spf)"
expect_eq "verify returns temperror with a bad configuration" "temperror" "$(logged DATA verify)"
expect_eq "get spf_result is temperror" "temperror" "$(logged DATA spf)"
expect_eq "get dmarc_status is temperror" "temperror" "$(logged DATA dmarc)"
expect_eq "get body_bytes is empty (nothing was evaluated)" "" "$(logged DATA body)"
f=$(logged_fields)
expect_eq "fields: dkim_verify_status is temperror" "temperror" "$(field_of "$f" dkim_verify_status)"
expect_eq "fields: arc_state is temperror" "temperror" "$(field_of "$f" arc_state)"
expect_match "fields: mailauth_error names file and line" "mailauth.conf:2: unknown option 'frobnicate'" \
	"$(field_of "$f" mailauth_error)"
expect_match "the problem is logged once with the mailauth prefix and file:line" \
	"mailauth: configuration error: $T/mailauth.conf:2: unknown option 'frobnicate'; results are temperror" \
	"$(grep -v '^>>>' "$T/bh.out" | grep 'mailauth: configuration error')"
expect_eq "the problem is logged only once per process" "1" \
	"$(grep -v '^>>>' "$T/bh.out" | grep -c 'mailauth: configuration error')"
expect_match "authres is still a well-formed field" '^Authentication-Results: mx\.example\.test; none' \
	"$(grep -E '^>>> +=? *:at_start:Authentication-Results:' "$T/bh.out" | head -n 1 | sed 's/.*:at_start://')"

# Bad values are reported the same way (a value error, not only a name).
printf 'dns_timeout = 10 minutes\n' >"$T/mailauth.conf"
bh 192.0.2.1 "$T/m1"
expect_match "a bad value is reported with file:line and the value" \
	"mailauth: configuration error: $T/mailauth.conf:1: dns_timeout: must be a duration .* got '10 minutes'" \
	"$(grep -v '^>>>' "$T/bh.out" | grep 'mailauth: configuration error')"
expect_eq "and verify is temperror" "temperror" "$(logged DATA verify)"

# No `config` call at all: the default file.  It is absent on a test
# machine; the module must then work on its defaults (resolver = system).
# The sender domain is under .invalid, which unbound answers itself
# (RFC 6761), so no network is needed.
write_test_conf "NO_CONFIG_CALL = yes"
write_message "$T/m2" a@x.invalid "hello"
"$PY" "$CLIENT" --stdin --from a@x.invalid "$T/m2" -- "$EXIM" -C "$T/exim.conf" -bh 192.0.2.1 >"$T/bh.out" 2>&1
if [ -e /etc/exim4/mailauth.conf ]; then
	bad "/etc/exim4/mailauth.conf exists on this machine; the no-file case cannot be tested"
else
	expect_match "without any configuration file verify returns a status word" \
		'^(accept|reject|quarantine|none|norecord|nofrom|off)$' "$(logged DATA verify)"
	expect_eq "without any configuration file the body is read" "6" "$(logged DATA body)"
	expect_no_match "without any configuration file nothing is logged as an error" \
		'mailauth: ' "$(grep -v '^>>>' "$T/bh.out")"
fi
finish
