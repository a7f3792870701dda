#!/bin/sh
# mailauth-check from the outside: exit codes, --json output that parses,
# --query classes, the null sender, unreadable input.  DNS comes from a zone
# file through the real libunbound.
set -u
cd "$(dirname "$0")/../.."
BIN=${MAILAUTH_CHECK:-out/mailauth-check}
PY=/usr/bin/python3
T=$(mktemp -d /tmp/mailauth-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: expected '$2', got '$3'"; fi; }

cat >"$T/zone" <<'Z'
_dmarc.example.test. 300 IN TXT "v=DMARC1; p=reject; " "rua=mailto:d@example.test"
example.test. IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
example.test. IN A 192.0.2.1
example.test. IN MX 10 mx.example.test.
Z
printf 'From: A <a@Sub.Example.TEST>\nTo: b@example.net\nSubject: x\n\nbody\n' >"$T/m1"
printf 'From: a@one.test, b@two.test\nSubject: two authors\n\nbody\n' >"$T/m2"

json() { # json FILE KEY
	$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get(sys.argv[2],"<absent>"))' "$1" "$2"
}

"$BIN" --zone "$T/zone" --json "$T/m1" >"$T/o1"; rc=$?
expect_eq "evaluating a message exits 0" 0 "$rc"
if $PY -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/o1" 2>/dev/null; then ok "--json output parses as JSON"; else bad "--json output does not parse: $(cat "$T/o1")"; fi
expect_eq "author domain is normalized" "sub.example.test" "$(json "$T/o1" from_domains)"
expect_eq "organizational domain via the public suffix list (default rule *)" "example.test" "$(json "$T/o1" from_org_domains)"

"$BIN" --zone "$T/zone" --json "$T/m2" >"$T/o2"
expect_eq "two author addresses are told apart" "multiple-addresses" "$(json "$T/o2" from_status)"
expect_eq "both author domains listed" "one.test two.test" "$(json "$T/o2" from_domains)"

out=$("$BIN" --zone "$T/zone" --query TXT _dmarc.example.test)
expect_eq "--query TXT joins character-strings" '_dmarc.example.test TXT: data (insecure)
  "v=DMARC1; p=reject; rua=mailto:d@example.test"' "$out"
out=$("$BIN" --zone "$T/zone" --query A nothere.example.test | head -1)
expect_eq "--query tells NXDOMAIN" "nothere.example.test A: NXDOMAIN (insecure)" "$out"
out=$("$BIN" --zone "$T/zone" --query TXT www.example.test. | head -1)
expect_eq "--query tells NXDOMAIN for a name without data" "www.example.test. TXT: NXDOMAIN (insecure)" "$out"
out=$("$BIN" --zone "$T/zone" --query AAAA example.test | head -1)
expect_eq "--query tells NODATA" "example.test AAAA: NODATA (insecure)" "$out"
out=$("$BIN" --zone "$T/zone" --json --query MX example.test)
expect_eq "--query MX as JSON" '{"name":"example.test","type":"MX","status":"data","security":"insecure","data":[{"pref":10,"exchange":"mx.example.test"}]}' "$out"

"$BIN" --zone "$T/zone" "$T/does-not-exist" >/dev/null 2>"$T/err"; rc=$?
expect_eq "an unreadable message exits 2" 2 "$rc"
if grep -q "does-not-exist" "$T/err"; then ok "the error names the file"; else bad "error does not name the file: $(cat "$T/err")"; fi
"$BIN" --bogus >/dev/null 2>&1; expect_eq "an unknown option exits 2" 2 "$?"
"$BIN" --zone "$T/no-zone" "$T/m1" >/dev/null 2>"$T/err"; rc=$?
expect_eq "a missing zone file exits 2" 2 "$rc"
"$BIN" --resolver nonsense "$T/m1" >/dev/null 2>"$T/err"; rc=$?
expect_eq "a bad resolver spec exits 2" 2 "$rc"
"$BIN" --now yesterday "$T/m1" >/dev/null 2>&1; expect_eq "a bad --now exits 2" 2 "$?"
"$BIN" --zone "$T/zone" --mail-from '' --ip 192.0.2.7 --helo example.test --json - <"$T/m1" >"$T/o3"; rc=$?
expect_eq "the null sender and a message on stdin are accepted" 0 "$rc"
"$BIN" --version | grep -q '^exim-mailauth [0-9]' && ok "--version" || bad "--version"

# A From field pushed past MSG_MAX_HEADERS must not escape DMARC: a header
# section over the limits gets dmarc_status reject, never a verdict made
# from its beginning (which here holds no From at all).
{ i=0; while [ $i -lt 5001 ]; do echo "X-Filler: $i"; i=$((i + 1)); done
  echo "From: ceo@example.test"; echo; echo body; } >"$T/m-huge"
"$BIN" --zone "$T/zone" --json "$T/m-huge" >"$T/o4"; rc=$?
expect_eq "a message over MSG_MAX_HEADERS is evaluated (exit 0)" 0 "$rc"
expect_eq "and DMARC refuses it instead of judging part of it" "reject" "$(json "$T/o4" dmarc_status)"
expect_eq "with permerror as the DMARC result" "permerror" "$(json "$T/o4" dmarc_result)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
