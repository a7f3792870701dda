#!/bin/sh
# DMARC failure reports from the outside: mailauth-check writes the spool
# files the module writes (--failure-dir, or failure_reports in the
# configuration), mailauth-report --failure-reports turns them into RFC 6591
# messages.  Checks: off by default, only failing messages whose record has
# ruf= and whose fo= asks for it, never about reports, redaction (and none),
# no body, the message parsed back by Python's email package, external
# destinations verified, the per-domain rate limit, a failed submission
# keeps the file, --dry-run changes nothing.  DNS from a zone file.
#
#   MAILAUTH_CHECK, MAILAUTH_REPORT   the binaries (default out/...)
set -u
cd "$(dirname "$0")/../.."
SRC=$(pwd)
CHECK=${MAILAUTH_CHECK:-out/mailauth-check}
REPORT=${MAILAUTH_REPORT:-$(dirname "$CHECK")/mailauth-report}
case "$CHECK" in /*) ;; *) CHECK="$SRC/$CHECK" ;; esac
case "$REPORT" in /*) ;; *) REPORT="$SRC/$REPORT" ;; esac
PY=/usr/bin/python3
T=$(mktemp -d /tmp/mailauth-ruf.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: expected '$2', got '$3'"; fi; }
expect_match() { if printf '%s' "$3" | grep -qE -- "$2"; then ok "$1"; else bad "$1: '$3' does not match /$2/"; fi; }
expect_no_match() { if printf '%s' "$3" | grep -qE -- "$2"; then bad "$1: '$3' matches /$2/"; else ok "$1"; fi; }

for b in "$CHECK" "$REPORT"; do
	if [ ! -x "$b" ]; then
		bad "$b is not built"
		echo "$pass passed, $fail failed"; exit 1
	fi
done

cat >"$T/zone" <<'Z'
_dmarc.example.test. TXT "v=DMARC1; p=reject; rua=mailto:d@example.test; ruf=mailto:ruf@example.test,mailto:f@reports.example"
example.test. TXT "v=spf1 ip4:192.0.2.1 -all"
_dmarc.norf.test. TXT "v=DMARC1; p=reject; rua=mailto:d@norf.test"
norf.test. TXT "v=spf1 -all"
_dmarc.fos.test. TXT "v=DMARC1; p=none; fo=s; ruf=mailto:ruf@fos.test"
fos.test. TXT "v=spf1 -all"
_dmarc.fod.test. TXT "v=DMARC1; p=none; fo=d; ruf=mailto:ruf@fod.test"
fod.test. TXT "v=spf1 -all"
_dmarc.ext.test. TXT "v=DMARC1; p=reject; ruf=mailto:x@unauthorized.example"
ext.test. TXT "v=spf1 -all"
example.test._report._dmarc.reports.example. TXT "v=DMARC1"
Z

# msg FILE DOMAIN [EXTRA-HEADER]
msg() {
	{
		printf 'Received: from mx.sender.example by mx.receiver.example for <carol@receiver.example>;\n'
		printf '\tMon, 13 Nov 2023 10:00:00 +0000\n'
		printf 'From: "John Doe" <john.doe@%s>\n' "$2"
		printf 'To: alice@receiver.example, "Bob" <bob@receiver.example>\n'
		printf 'Subject: quarterly numbers\n'
		printf 'Message-ID: <m1@%s>\n' "$2"
		[ -n "${3:-}" ] && printf '%s\n' "$3"
		printf '\nthe body is secret-body-text\n'
	} >"$1"
}
nfiles() { ls "$1" 2>/dev/null | grep -c '^fr-'; }

mkdir -p "$T/spool"
msg "$T/m-example" example.test
# a forger's address: SPF fails for example.test, no DKIM -> DMARC fails
run_check() { # --failure-dir DIR MESSAGE DOMAIN
	"$CHECK" --zone "$T/zone" --ip 198.51.100.7 --helo forger.example --mail-from "joe@$4" \
		"$1" "$2" "$3" >"$T/check.out" 2>"$T/check.err"
}

# ---- off by default ----
printf 'failure_report_dir = %s/spool\n' "$T" >"$T/off.conf"
"$CHECK" --config "$T/off.conf" --zone "$T/zone" --ip 198.51.100.7 --mail-from joe@example.test \
	"$T/m-example" >"$T/check.out" 2>&1
expect_match "the failing message is a DMARC reject" 'dmarc_status +reject' "$(cat "$T/check.out")"
expect_eq "failure_reports off by default: no spool file" 0 "$(nfiles "$T/spool")"

# ---- failure_reports = yes in the configuration ----
printf 'failure_reports = yes\nfailure_report_dir = %s/spool\n' "$T" >"$T/on.conf"
# a production configuration given to the tool writes nothing without --record
"$CHECK" --config "$T/on.conf" --zone "$T/zone" --ip 198.51.100.7 --mail-from joe@example.test \
	"$T/m-example" >/dev/null 2>&1
expect_eq "mailauth-check --config writes no spool file without --record" 0 "$(nfiles "$T/spool")"
"$CHECK" --config "$T/on.conf" --record --zone "$T/zone" --ip 198.51.100.7 --mail-from joe@example.test \
	"$T/m-example" >"$T/check.out" 2>&1; rc=$?
expect_eq "mailauth-check exits 0 with failure reports on" 0 "$rc"
expect_eq "failure_reports = yes: one spool file" 1 "$(nfiles "$T/spool")"
f=$(ls "$T/spool"/fr-* | head -1)
expect_eq "spool file mode 0640" 640 "$(stat -c %a "$f")"
spool=$(cat "$f")
expect_match "spool file names the policy domain" '^Policy-Domain: example.test$' "$spool"
expect_match "spool file keeps both ruf= URIs" 'Ruf: mailto:f@reports.example' "$spool"
expect_match "spool file has the source IP" '^Source-IP: 198.51.100.7$' "$spool"
expect_match "spool file has the Authentication-Results value, unfolded" \
	'^Authentication-Results: .*dmarc=fail' "$spool"
expect_no_match "spool file: local parts redacted by default" 'john\.doe|alice@|bob@|carol@|joe@' "$spool"
expect_match "spool file: redacted From keeps the domain" '^From: "John Doe" <redacted@example.test>$' "$spool"
expect_match "spool file: Original-Mail-From redacted" '^Original-Mail-From: <redacted@example.test>$' "$spool"
expect_no_match "spool file: no body" 'secret-body-text' "$spool"
expect_match "spool file: Subject kept" '^Subject: quarterly numbers$' "$spool"
rm -f "$T/spool"/fr-*

# ---- which messages get one ----
"$CHECK" --zone "$T/zone" --ip 192.0.2.1 --mail-from joe@example.test --failure-dir "$T/spool" \
	"$T/m-example" >"$T/check.out" 2>&1
expect_match "SPF-aligned message passes" 'dmarc_status +accept' "$(cat "$T/check.out")"
expect_eq "a DMARC pass: no spool file" 0 "$(nfiles "$T/spool")"
msg "$T/m-norf" norf.test
run_check --failure-dir "$T/spool" "$T/m-norf" norf.test
expect_eq "a record without ruf=: no spool file" 0 "$(nfiles "$T/spool")"
msg "$T/m-fod" fod.test
run_check --failure-dir "$T/spool" "$T/m-fod" fod.test
expect_eq "fo=d and no DKIM signature failed: no spool file" 0 "$(nfiles "$T/spool")"
msg "$T/m-fos" fos.test
run_check --failure-dir "$T/spool" "$T/m-fos" fos.test
expect_eq "fo=s and SPF failed: a spool file" 1 "$(nfiles "$T/spool")"
rm -f "$T/spool"/fr-*
msg "$T/m-arf" example.test 'Content-Type: multipart/report; report-type=feedback-report; boundary="b"'
run_check --failure-dir "$T/spool" "$T/m-arf" example.test
expect_eq "a message that is itself a report: no spool file" 0 "$(nfiles "$T/spool")"
msg "$T/m-agg" example.test 'X-Dummy: 1'
sed -i 's/^Subject: .*/Subject: Report Domain: example.test Submitter: x.example Report-ID: 1/' "$T/m-agg"
run_check --failure-dir "$T/spool" "$T/m-agg" example.test
expect_eq "an aggregate report: no spool file" 0 "$(nfiles "$T/spool")"
"$CHECK" --zone "$T/zone" --ip 198.51.100.7 --mail-from joe@example.test --failure-dir "$T/nodir" \
	"$T/m-example" >/dev/null 2>"$T/check.err"; rc=$?
expect_eq "an unusable spool directory: exit 1" 1 "$rc"
expect_match "... and the reason on stderr" 'failure report not written: cannot create' "$(cat "$T/check.err")"

# redaction off
printf 'failure_reports = yes\nfailure_report_dir = %s/spool\nfailure_report_redact = none\n' "$T" >"$T/none.conf"
"$CHECK" --config "$T/none.conf" --record --zone "$T/zone" --ip 198.51.100.7 --mail-from joe@example.test \
	"$T/m-example" >/dev/null 2>&1
spool=$(cat "$T/spool"/fr-*)
expect_match "failure_report_redact = none keeps local parts" '^From: "John Doe" <john.doe@example.test>$' "$spool"
expect_match "... and the envelope sender" '^Original-Mail-From: <joe@example.test>$' "$spool"
rm -f "$T/spool"/fr-*

# ---- mailauth-report --failure-reports --dry-run --out-dir ----
run_check --failure-dir "$T/spool" "$T/m-example" example.test
run_check --failure-dir "$T/spool" "$T/m-fos" fos.test
mkdir -p "$T/out"
"$REPORT" --failure-reports --failure-dir "$T/spool" --zone "$T/zone" --email dmarc@receiver.example \
	--org-name Receiver --dry-run --out-dir "$T/out" >"$T/rep.out" 2>"$T/rep.err"; rc=$?
expect_eq "--dry-run exits 0" 0 "$rc"
expect_eq "--dry-run: three messages written (two ruf= of example.test, one of fos.test)" 3 \
	"$(ls "$T/out" | grep -c '\.eml$')"
expect_eq "--dry-run deletes no spool file" 2 "$(nfiles "$T/spool")"
expect_eq "--dry-run writes no rate state" no "$([ -e "$T/spool/.rate" ] && echo yes || echo no)"
expect_match "--dry-run says what it would send" 'would send the failure report for example.test to f@reports.example' \
	"$(cat "$T/rep.out")"

for e in "$T/out"/*.eml; do
	n=$(basename "$e")
	res=$("$PY" - "$e" <<'PYEOF'
import sys, email
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.compat32)
def need(c, what):
    if not c:
        print("structure: " + what); sys.exit(1)
need(m.get_content_type() == "multipart/report", "multipart/report")
need(m.get_param("report-type") == "feedback-report", "report-type")
need(m["Auto-Submitted"] == "auto-generated", "Auto-Submitted")
parts = m.get_payload()
need(isinstance(parts, list) and len(parts) == 3, "three parts")
need([p.get_content_type() for p in parts] ==
     ["text/plain", "message/feedback-report", "text/rfc822-headers"], "part types")
fb = parts[1].get_payload()
if isinstance(fb, list):
    fb = fb[0].as_string()
fields = {}
for line in fb.strip().splitlines():
    k, _, v = line.partition(":")
    fields[k.strip().lower()] = v.strip()
for k in ("feedback-type", "user-agent", "version", "original-mail-from", "arrival-date",
          "source-ip", "reported-domain", "authentication-results", "identity-alignment",
          "auth-failure", "delivery-result"):
    need(k in fields, "field " + k)
need(fields["feedback-type"] == "auth-failure", "auth-failure")
need(fields["auth-failure"] == "dmarc", "Auth-Failure: dmarc")
need(fields["version"] == "1", "Version 1")
need("dmarc=fail" in fields["authentication-results"], "AR has dmarc=fail")
hdrs = parts[2].get_payload()
need("Subject: quarterly numbers" in hdrs and "secret-body-text" not in hdrs, "headers only")
print("ok", m["To"], fields["reported-domain"], fields["delivery-result"])
PYEOF
)
	expect_match "$n parses as an RFC 6591 report" '^ok ' "$res"
done
expect_eq "reports go to each ruf= address" "<f@reports.example> <ruf@example.test> <ruf@fos.test>" \
	"$(for e in "$T/out"/*.eml; do grep -m1 '^To:' "$e" | cut -d' ' -f2; done | sort | tr '\n' ' ' | sed 's/ $//')"

# ---- real runs through a stand-in sendmail ----
mkdir -p "$T/sent"
cat >"$T/sendmail" <<EOF
#!/bin/sh
cat >"$T/sent/mail.\$\$"
EOF
chmod +x "$T/sendmail"
cat >"$T/rep.conf" <<EOF
report_email = dmarc@receiver.example
report_org_name = Receiver
report_sendmail = $T/sendmail -t
failure_reports = yes
failure_report_dir = $T/spool
failure_report_rate = 2
resolver = zone:$T/zone
EOF
for i in 1 2 3; do run_check --failure-dir "$T/spool" "$T/m-example" example.test; done
expect_eq "five spool files waiting" 5 "$(nfiles "$T/spool")"
"$REPORT" --config "$T/rep.conf" --failure-reports -v >"$T/rep.out" 2>"$T/rep.err"; rc=$?
expect_eq "the real run exits 0" 0 "$rc"
expect_eq "every spool file is dealt with" 0 "$(nfiles "$T/spool")"
# example.test: 4 files, 2 allowed per hour, 2 ruf= each -> 4 mails; fos.test: 1 mail
expect_eq "rate limit: 2 reports for example.test (2 mails each) + 1 for fos.test" 5 \
	"$(ls "$T/sent" | wc -l)"
expect_match "the rate limit is named when it drops a report" \
	'example.test had 2 failure reports this hour already \(failure_report_rate\)' "$(cat "$T/rep.err")"
expect_match "the rate state is kept" '^example.test [0-9]+ 2$' "$(cat "$T/spool/.rate")"
run_check --failure-dir "$T/spool" "$T/m-example" example.test
"$REPORT" --config "$T/rep.conf" --failure-reports >/dev/null 2>"$T/rep.err"
expect_eq "the rate limit holds across runs in the same hour" 5 "$(ls "$T/sent" | wc -l)"
expect_eq "... and the dropped file is gone" 0 "$(nfiles "$T/spool")"

# external destination that does not authorize reports
msg "$T/m-ext" ext.test
run_check --failure-dir "$T/spool" "$T/m-ext" ext.test
"$REPORT" --config "$T/rep.conf" --failure-reports >/dev/null 2>"$T/rep.err"; rc=$?
expect_eq "an unauthorized external ruf= sends nothing" 5 "$(ls "$T/sent" | wc -l)"
expect_match "... and says why" 'not sending the failure report for ext.test to x@unauthorized.example' \
	"$(cat "$T/rep.err")"

# a failed submission keeps the file for the next run (exit 1)
printf '#!/bin/sh\nexit 75\n' >"$T/sendmail-fail"; chmod +x "$T/sendmail-fail"
run_check --failure-dir "$T/spool" "$T/m-fos" fos.test
"$REPORT" --config "$T/rep.conf" --failure-reports --sendmail "$T/sendmail-fail" >/dev/null 2>"$T/rep.err"; rc=$?
expect_eq "a failed submission exits 1" 1 "$rc"
expect_eq "... and keeps the spool file" 1 "$(nfiles "$T/spool")"
"$REPORT" --config "$T/rep.conf" --failure-reports >/dev/null 2>"$T/rep.err"; rc=$?
expect_eq "the next run sends it" "0 6 0" "$rc $(ls "$T/sent" | wc -l) $(nfiles "$T/spool")"

# a damaged spool file is dropped with a message
printf 'garbage\n' >"$T/spool/fr-bad"
"$REPORT" --config "$T/rep.conf" --failure-reports >/dev/null 2>"$T/rep.err"; rc=$?
expect_eq "a damaged spool file: exit 0, file gone" "0 0" "$rc $(nfiles "$T/spool")"
expect_match "... and named" 'fr-bad: not a failure report spool file' "$(cat "$T/rep.err")"

# usage errors
"$REPORT" --failure-reports --email dmarc@receiver.example --config "$T/off.conf" \
	--failure-dir "$T/nodir" >/dev/null 2>"$T/rep.err"; rc=$?
expect_eq "a missing spool directory is a usage error" 2 "$rc"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
