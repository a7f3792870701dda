#!/bin/sh
# mailauth-report from the outside: history files (two hosts) written with
# hist_append_fd() -> aggregate reports.  Checks: every report validates
# against the RFC 9990 schema (xmllint), counts match what was written,
# file names and report ids follow RFC 9990, daily and hourly (ri=)
# windows, the mail each rua= destination gets (through a stand-in
# sendmail), an external destination that does not authorize reports gets
# nothing and the tool says why, size limits, no reports to our own address
# or about reports, state across runs and log rotation, a failed
# submission retried with the same Report-ID, exit codes and error
# messages, and 8 processes writing history at once (no torn or
# interleaved record).  DNS comes from a zone file through libunbound.
#
#   MAILAUTH_REPORT   the binary (default out/mailauth-report); the test
#                     helper is linked with libmailauth.a of the same build
#   MAILAUTH_CONFORMANCE  conformance data (default ../shared/conformance)
set -u
cd "$(dirname "$0")/../.."
SRC=$(pwd)
BIN=${MAILAUTH_REPORT:-out/mailauth-report}
case "$BIN" in /*) ;; *) BIN="$SRC/$BIN" ;; esac
BUILD=$(dirname "$BIN")
PY=/usr/bin/python3
CONF_DIR=${MAILAUTH_CONFORMANCE:-${MAILAUTH_SRCDIR:-$SRC}/../shared/conformance}
XSD="$CONF_DIR/dmarc-aggregate-dmarcbis/dmarc-xml-0.2.xsd"
T=$(mktemp -d /tmp/mailauth-report.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: expected '$2', got '$3'"; fi; }
expect_match() { if printf '%s' "$3" | grep -qE -- "$2"; then ok "$1"; else bad "$1: '$3' does not match /$2/"; fi; }
expect_no_match() { if printf '%s' "$3" | grep -qE -- "$2"; then bad "$1: '$3' matches /$2/"; else ok "$1"; fi; }

if [ ! -x "$BIN" ]; then
	bad "$BIN is not built"
	echo "$pass passed, $fail failed"; exit 1
fi

# ---- the history writer, linked like the tool (sanitizers included) ----
SANF=""
if nm "$BUILD/libmailauth.a" 2>/dev/null | grep -q '__asan_'; then
	SANF="-fsanitize=address,undefined -fno-omit-frame-pointer"
fi
if ${CC:-cc} -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -Werror -O1 \
	$SANF -Ishared tests/tools/hist_writer.c "$BUILD/libmailauth.a" \
	-lunbound -lpsl -lidn2 -lssl -lcrypto -o "$T/hist_writer" 2>"$T/cc.err"; then
	ok "hist_writer builds against $BUILD/libmailauth.a"
else
	bad "hist_writer does not build: $(cat "$T/cc.err")"
	echo "$pass passed, $fail failed"; exit 1
fi
W="$T/hist_writer"

# ---- schema or structure ----
if [ -f "$XSD" ] && command -v xmllint >/dev/null; then
	HAVE_XSD=1
else
	HAVE_XSD=0
	echo "NOTE: schema $XSD (or xmllint) absent: reports are checked against the structure"
	echo "      RFC 9990 describes, with this test's own assertions, not validated"
fi

# summary FILE.xml.gz: one line "domain begin end id rows total c1,c2,..."
# after checking the structure RFC 9990 requires (exit 1 with the problem).
summary() {
	"$PY" - "$1" <<'PYEOF'
import gzip, sys, xml.etree.ElementTree as ET
NS = "{urn:ietf:params:xml:ns:dmarc-2.0}"
def need(cond, what):
    if not cond:
        print("structure: " + what); sys.exit(1)
root = ET.fromstring(gzip.open(sys.argv[1]).read())
need(root.tag == NS + "feedback", "root is not dmarc-2.0 feedback")
kids = [c.tag[len(NS):] for c in root]
need(kids[0] == "version" and kids[1] == "report_metadata" and kids[2] == "policy_published",
     "feedback starts with version, report_metadata, policy_published: %s" % kids[:3])
need(all(k == "record" for k in kids[3:]) and len(kids) > 3, "records follow")
md = root.find(NS + "report_metadata")
for e in ("org_name", "email", "report_id", "date_range/" + NS + "begin", "date_range/" + NS + "end"):
    need(md.find(NS + e) is not None and (md.find(NS + e).text or "") != "", "metadata " + e)
pp = root.find(NS + "policy_published")
for e in ("domain", "p"):
    need(pp.find(NS + e) is not None, "policy_published " + e)
need(pp.find(NS + "p").text in ("none", "quarantine", "reject"), "p value")
counts = []
for rec in root.findall(NS + "record"):
    need([c.tag[len(NS):] for c in rec][:3] == ["row", "identifiers", "auth_results"], "record parts")
    row = rec.find(NS + "row")
    pe = row.find(NS + "policy_evaluated")
    need(row.find(NS + "source_ip") is not None and pe is not None, "row parts")
    need([c.tag[len(NS):] for c in pe][:3] == ["disposition", "dkim", "spf"], "policy_evaluated order")
    need(pe.find(NS + "disposition").text in ("none", "pass", "quarantine", "reject"), "disposition")
    need(rec.find(NS + "identifiers/" + NS + "header_from") is not None, "header_from")
    ar = [c.tag[len(NS):] for c in rec.find(NS + "auth_results")]
    need(ar == sorted(ar), "dkim before spf")
    counts.append(int(row.find(NS + "count").text))
print(pp.find(NS + "domain").text, md.find(NS + "date_range/" + NS + "begin").text,
      md.find(NS + "date_range/" + NS + "end").text, md.find(NS + "report_id").text,
      len(counts), sum(counts), ",".join(str(c) for c in sorted(counts)))
PYEOF
}

# check_reports DIR: validate every report in DIR; ok/bad per file.
check_reports() {
	for f in "$1"/*.xml.gz; do
		[ -f "$f" ] || continue
		n=$(basename "$f")
		if ! gzip -t "$f" 2>/dev/null; then bad "$n is not valid gzip"; continue; fi
		if [ "$HAVE_XSD" = 1 ]; then
			if zcat "$f" | xmllint --noout --schema "$XSD" - >"$T/xmllint.out" 2>&1; then
				ok "$n validates against the RFC 9990 schema"
			else
				bad "$n does not validate: $(head -5 "$T/xmllint.out")"
			fi
		fi
		if s=$(summary "$f"); then ok "$n has the structure RFC 9990 describes"; else bad "$n: $s"; fi
	done
}

# report_of DIR DOMAIN [BEGIN]: the summary line of DOMAIN's report.
report_of() {
	for f in "$1"/*"!$2!${3:-}"*.xml.gz; do
		[ -f "$f" ] && summary "$f"
	done
}

# ---- DNS: reports.example authorizes example.com only ----
cat >"$T/zone" <<'Z'
example.com._report._dmarc.reports.example. TXT "v=DMARC1"
psl.example._report._dmarc.reports.example. TXT "v=DMARC1"
Z

# ---- history: two hosts, day 1 (2023-11-14) and day 2 ----
D1=1699920000            # 2023-11-14T00:00:00Z
D2=$((D1 + 86400))
D3=$((D2 + 86400))
RUA1="rua=mailto:dmarc@example.com rua=mailto:agg@reports.example!10m"
"$W" "$T/history" >/dev/null <<EOF
# example.com: 5 aligned passes, 3 failures rejected, 2 quarantined (testing)
job=p received=$((D1 + 100)) ip=192.0.2.1 from=example.com mfrom=example.com spf=pass spf_domain=example.com dkim=example.com:s1:pass pdomain=example.com result=pass p=reject disposition=pass align_dkim=y align_spf=y $RUA1 count=5
job=f received=$((D1 + 200)) ip=198.51.100.9 from=example.com mfrom=forger.example spf=fail spf_domain=forger.example pdomain=example.com result=fail p=reject disposition=reject $RUA1 count=3
job=q received=$((D1 + 300)) ip=2001:db8::9 from=example.com mfrom=list.example spf=pass spf_domain=list.example dkim=example.com:s1:fail pdomain=example.com result=fail p=reject disposition=none override=mailing_list:list.example $RUA1 count=2
# other.test asks for reports at a host that does not authorize them
job=o received=$((D1 + 400)) ip=192.0.2.2 from=other.test mfrom=other.test spf=pass spf_domain=other.test pdomain=other.test result=pass p=none align_spf=y rua=mailto:agg@reports.example count=4
# big.example: a 100-byte limit no report fits
job=b received=$((D1 + 500)) ip=192.0.2.3 from=big.example mfrom=big.example spf=pass spf_domain=big.example pdomain=big.example result=pass p=none align_spf=y rua=mailto:d@big.example!100 count=2
# self.example sends its reports to our own report address
job=s received=$((D1 + 600)) ip=192.0.2.4 from=self.example mfrom=self.example spf=pass spf_domain=self.example pdomain=self.example result=pass p=none align_spf=y rua=mailto:dmarc-reports@receiver.example count=2
# never reported: no policy, temperror (retried), a DMARC report itself
job=n received=$((D1 + 700)) ip=192.0.2.5 from=nopolicy.example mfrom=nopolicy.example spf=pass pdomain=nopolicy.example result=none count=3
job=t received=$((D1 + 800)) ip=192.0.2.6 from=example.com mfrom=example.com spf=temperror pdomain=example.com result=temperror p=reject $RUA1
job=r received=$((D1 + 900)) ip=192.0.2.7 from=example.com mfrom=example.com spf=pass spf_domain=example.com pdomain=example.com result=pass p=reject disposition=pass align_spf=y report=y $RUA1
# psl.example (RFC 7489 mode) asks for hourly reports
job=h1 received=$((D1 + 60)) ip=192.0.2.8 from=psl.example mfrom=psl.example spf=pass spf_domain=psl.example pdomain=psl.example result=pass p=none align_spf=y discovery=psl ri=3600 rua=mailto:agg@reports.example count=2
job=h2 received=$((D1 + 3600 + 60)) ip=192.0.2.8 from=psl.example mfrom=psl.example spf=pass spf_domain=psl.example pdomain=psl.example result=pass p=none align_spf=y discovery=psl ri=3600 rua=mailto:agg@reports.example count=3
# day 2: its window is still open at the first run
job=d2 received=$((D2 + 100)) ip=192.0.2.1 from=example.com mfrom=example.com spf=pass spf_domain=example.com dkim=example.com:s1:pass pdomain=example.com result=pass p=reject disposition=pass align_dkim=y align_spf=y $RUA1 count=6
EOF
expect_eq "host 1 history written" 0 "$?"
"$W" "$T/history-mx2" >/dev/null <<EOF
job=x received=$((D1 + 1000)) reporter=mx2.example.test ip=192.0.2.1 from=example.com mfrom=example.com spf=pass spf_domain=example.com dkim=example.com:s1:pass pdomain=example.com result=pass p=reject disposition=pass align_dkim=y align_spf=y $RUA1 count=2
EOF
expect_eq "host 2 history written" 0 "$?"

COMMON="--org-name Receiver&Org --email dmarc-reports@receiver.example --submitter receiver.example --zone $T/zone"
NOW1=$((D2 + 3600))

# ---- 1. dry run into a directory ----
mkdir -p "$T/d1"
"$BIN" $COMMON --dry-run --out-dir "$T/d1" --now "$NOW1" "$T/history" "$T/history-mx2" \
	>"$T/d1.out" 2>"$T/d1.err"
expect_eq "a dry run exits 0" 0 "$?"
expect_eq "a dry run writes no state" "" "$(ls "$T" | grep -i state)"
check_reports "$T/d1"
expect_eq "one report per finished window: example.com, other.test, big.example, self.example, psl.example x2" \
	6 "$(ls "$T/d1" | grep -c '\.xml\.gz$')"
s=$(report_of "$T/d1" example.com)
# 5 + 2 (host 2) aligned passes from 192.0.2.1 in one row; 3 rejected; 2 quarantine-overridden
expect_eq "example.com: both hosts' records, counted per row" "3 12 2,3,7" "$(echo "$s" | cut -d' ' -f5-)"
expect_eq "example.com: the day's date range" "$D1 $((D2 - 1))" "$(echo "$s" | cut -d' ' -f2-3)"
id=$(echo "$s" | cut -d' ' -f4)
expect_match "the report id is 32 hexadecimal digits" '^[0-9a-f]{32}$' "$id"
expect_eq "the file name is receiver!domain!begin!end!id.xml.gz (RFC 9990)" \
	"receiver.example!example.com!$D1!$((D2 - 1))!$id.xml.gz" \
	"$(ls "$T/d1" | grep '!example.com!')"
zcat "$T/d1/"*'!example.com!'* >"$T/ex.xml"
expect_match "org_name is escaped" '<org_name>Receiver&amp;Org</org_name>' "$(cat "$T/ex.xml")"
expect_match "the override reason is reported" '<type>mailing_list</type>' "$(cat "$T/ex.xml")"
expect_no_match "the report about a report is not counted" '192\.0\.2\.7' "$(cat "$T/ex.xml")"
expect_no_match "the temperror is not counted" '192\.0\.2\.6' "$(cat "$T/ex.xml")"
expect_eq "no report for a domain without policy" "" "$(ls "$T/d1" | grep nopolicy)"
expect_eq "hourly windows for ri=3600 in RFC 7489 mode" \
	"psl.example $D1 $((D1 + 3599)) 1 2|psl.example $((D1 + 3600)) $((D1 + 7199)) 1 3" \
	"$(report_of "$T/d1" psl.example | cut -d' ' -f1-3,5,6 | sort | paste -sd'|')"
expect_match "the dry run shows what it would send" 'would send example\.com to agg@reports\.example' "$(cat "$T/d1.out")"
expect_match "… to every rua address" 'would send example\.com to dmarc@example\.com' "$(cat "$T/d1.out")"
expect_match "the unauthorized destination is named with the reason" \
	'not sending the report for other\.test to agg@reports\.example: reports\.example does not authorize reports for other domains: no TXT record at other\.test\._report\._dmarc\.reports\.example' \
	"$(cat "$T/d1.err")"
expect_match "the size limit is named" \
	'not sending the report for big\.example to d@big\.example: it is [0-9]+ bytes encoded, more than the limit of 100 bytes' \
	"$(cat "$T/d1.err")"
expect_match "no report goes to our own address" \
	'not sending the report for self\.example to dmarc-reports@receiver\.example: that is our own report address' \
	"$(cat "$T/d1.err")"
expect_match "the open window is left for later" '1 window still open' "$(cat "$T/d1.out")"

# ---- 2. a real run through a stand-in sendmail ----
mkdir -p "$T/sent"
cat >"$T/sendmail" <<EOF
#!/bin/sh
n=\$(ls "$T/sent" | grep -c '^msg\.')
printf '%s\n' "\$*" >"$T/sent/args.\$n"
cat >"$T/sent/msg.\$n"
[ -f "$T/sendmail.fail" ] && exit 75
exit 0
EOF
chmod 0755 "$T/sendmail"
STATE="$T/state"
run() { # run NOW FILES... (real run; stdout/stderr to $T/run.out / run.err)
	now=$1; shift
	"$BIN" $COMMON --state "$STATE" --sendmail "$T/sendmail -t" --now "$now" -v "$@" \
		>"$T/run.out" 2>"$T/run.err"
}
run "$NOW1" "$T/history" "$T/history-mx2"
expect_eq "a real run exits 0" 0 "$?"
# example.com to 2 addresses, psl.example 2 windows to 1: 4 messages
expect_eq "one message per report and authorized destination" 4 "$(ls "$T/sent" | grep -c '^msg\.')"
expect_eq "the submission command gets -t" "-t" "$(cat "$T/sent/args.0")"
"$PY" - "$T/sent" "$T/mails" <<'PYEOF' >"$T/mails.txt"
import email, email.policy, gzip, os, re, sys
d, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
for n in sorted(f for f in os.listdir(d) if f.startswith("msg.")):
    m = email.message_from_binary_file(open(os.path.join(d, n), "rb"), policy=email.policy.default)
    subj = " ".join(str(m["Subject"]).split())
    att = [p for p in m.walk() if p.get_content_type() == "application/gzip"]
    xml = gzip.decompress(att[0].get_payload(decode=True)).decode()
    rid = re.search(r"<report_id>([^<]*)</report_id>", xml).group(1)
    fn = att[0].get_filename()
    open(os.path.join(out, fn), "wb").write(att[0].get_payload(decode=True))
    print("|".join([str(m["To"]), subj, rid, fn, str(m["Auto-Submitted"]), m.get_content_type()]))
PYEOF
expect_eq "the messages parse as MIME" 0 "$?"
check_reports "$T/mails"
line=$(grep '^dmarc@example.com|' "$T/mails.txt")
to_id=$(echo "$line" | cut -d'|' -f3)
expect_eq "the Subject names domain, submitter and Report-ID (RFC 9990)" \
	"Report Domain: example.com Submitter: receiver.example Report-ID: $to_id" "$(echo "$line" | cut -d'|' -f2)"
expect_eq "the Report-ID is the report's id and the file name's unique-id" \
	"receiver.example!example.com!$D1!$((D2 - 1))!$to_id.xml.gz" "$(echo "$line" | cut -d'|' -f4)"
expect_eq "reports are multipart/mixed and auto-generated" "auto-generated|multipart/mixed" "$(echo "$line" | cut -d'|' -f5-6)"
expect_eq "the same report goes to the second rua address" "$to_id" \
	"$(grep '^agg@reports.example|Report Domain: example.com ' "$T/mails.txt" | cut -d'|' -f3)"
expect_eq "the report id does not depend on the run (dry run and real run agree)" "$id" "$to_id"
expect_eq "nothing was sent for other.test" "" "$(grep 'other.test' "$T/mails.txt")"
expect_match "the state file names the domains' watermarks" "domain example.com $D2" "$(cat "$STATE")"

# ---- 3. the same files again: nothing new ----
rm -f "$T/sent/"*
run "$NOW1" "$T/history" "$T/history-mx2"
expect_eq "a second run exits 0" 0 "$?"
expect_eq "a second run sends nothing again" 0 "$(ls "$T/sent" | grep -c '^msg\.')"

# ---- 4. rotation, then day 2 ends ----
mv "$T/history" "$T/history.1"
"$W" "$T/history" >/dev/null <<EOF
job=d3 received=$((D2 + 7200)) ip=192.0.2.11 from=example.com mfrom=example.com spf=pass spf_domain=example.com dkim=example.com:s1:pass pdomain=example.com result=pass p=reject disposition=pass align_dkim=y align_spf=y $RUA1 count=4
EOF
run $((D3 + 60)) "$T/history.1" "$T/history" "$T/history-mx2"
expect_eq "the run after rotation exits 0" 0 "$?"
expect_match "the rotated file is resumed" "read $T/history.1 from byte [1-9][0-9]* .*\\(resumed\\)" "$(cat "$T/run.out")"
expect_match "the new file is read from the start" "read $T/history from byte 0 " "$(cat "$T/run.out")"
rm -rf "$T/mails"; mkdir "$T/mails"
for m in "$T/sent/"msg.*; do
	"$PY" -c 'import email,sys,os; m=email.message_from_binary_file(open(sys.argv[1],"rb")); [open(os.path.join(sys.argv[2], p.get_filename()),"wb").write(p.get_payload(decode=True)) for p in m.walk() if p.get_content_type()=="application/gzip"]' "$m" "$T/mails"
done
expect_eq "day 2 is reported once, to both addresses" 2 "$(ls "$T/sent" | grep -c '^msg\.')"
expect_eq "day 2: 6 before and 4 after the rotation, nothing of day 1" \
	"example.com $D2 $((D3 - 1)) 2 10 4,6" "$(report_of "$T/mails" example.com | cut -d' ' -f1-3,5-)"

# ---- 5. a failed submission is retried with the same Report-ID ----
"$W" "$T/history" >/dev/null <<EOF
job=d4 received=$((D3 + 100)) ip=192.0.2.12 from=other.example mfrom=other.example spf=pass spf_domain=other.example pdomain=other.example result=pass p=none align_spf=y rua=mailto:dmarc@other.example count=2
EOF
rm -f "$T/sent/"*
touch "$T/sendmail.fail"
run $((D3 + 86400 + 60)) "$T/history.1" "$T/history" "$T/history-mx2"
expect_eq "a failed submission exits 1" 1 "$?"
expect_match "the failure is named" 'the report for other\.example to dmarc@other\.example was not submitted: .*sendmail exited with status 75' "$(cat "$T/run.err")"
first=$(grep -h '^Subject:' "$T/sent/msg.0" 2>/dev/null | head -1)
rm -f "$T/sent/"* "$T/sendmail.fail"
run $((D3 + 86400 + 120)) "$T/history.1" "$T/history" "$T/history-mx2"
expect_eq "the retry exits 0" 0 "$?"
expect_eq "the retry sends the report once" 1 "$(ls "$T/sent" | grep -c '^msg\.')"
expect_eq "the retry keeps the Subject and Report-ID" "$first" "$(grep -h '^Subject:' "$T/sent/msg.0" | head -1)"

# ---- 6. configuration file instead of options ----
cat >"$T/mailauth.conf" <<EOF
report_org_name = Conf Org
report_email = reports@conf.example
report_state_file = $T/conf-state
report_sendmail = $T/sendmail -t
resolver = zone:$T/zone
history_file = $T/history-mx2
EOF
rm -f "$T/sent/"*
"$BIN" --config "$T/mailauth.conf" --now "$NOW1" >"$T/c.out" 2>"$T/c.err"
expect_eq "a run configured by mailauth.conf exits 0" 0 "$?"
expect_match "its settings are used" '^From: "Conf Org" <reports@conf\.example>' "$(cat "$T/sent/msg.0" 2>/dev/null)"
expect_match "the submitter defaults to the email's domain" 'Submitter: conf\.example' "$(tr -d '\n' <"$T/sent/msg.0" 2>/dev/null)"
expect_eq "report_state_file is written" 1 "$(grep -c '^domain example.com' "$T/conf-state" 2>/dev/null)"

# ---- 7. errors and exit codes ----
"$BIN" --config "$T/empty-missing.conf" --dry-run "$T/history" >/dev/null 2>"$T/e"
expect_eq "a missing --config file exits 2" 2 "$?"
expect_match "… naming it" 'empty-missing\.conf' "$(cat "$T/e")"
: >"$T/empty.conf"
"$BIN" --config "$T/empty.conf" --email a@b.example --dry-run "$T/history" >/dev/null 2>"$T/e"
expect_eq "no org_name exits 2" 2 "$?"
expect_match "… and says how to set it" 'no report_org_name: set it in .*empty\.conf or give --org-name' "$(cat "$T/e")"
"$BIN" --config "$T/empty.conf" $COMMON "$T/history" >/dev/null 2>"$T/e"
expect_eq "no state file (and no --dry-run) exits 2" 2 "$?"
expect_match "… and says so" 'no state file' "$(cat "$T/e")"
"$BIN" --config "$T/empty.conf" $COMMON --email 'not an address' --dry-run "$T/history" >/dev/null 2>"$T/e"
expect_eq "a bad --email exits 2" 2 "$?"
expect_match "… with the configuration's message" 'report_email: must be an address' "$(cat "$T/e")"
"$BIN" --config "$T/empty.conf" $COMMON --dry-run "$T/nonexistent" >/dev/null 2>"$T/e"
expect_eq "an unreadable history file exits 3" 3 "$?"
expect_match "… naming it" "cannot open history file $T/nonexistent" "$(cat "$T/e")"
"$BIN" --config "$T/empty.conf" $COMMON --dry-run >/dev/null 2>"$T/e"
expect_eq "no history file at all exits 2" 2 "$?"
"$BIN" --config "$T/empty.conf" $COMMON --dry-run --out-dir "$T/nodir" "$T/history" >/dev/null 2>"$T/e"
expect_eq "--out-dir that is no directory exits 2" 2 "$?"
"$BIN" --bogus >/dev/null 2>&1
expect_eq "an unknown option exits 2" 2 "$?"
"$BIN" --config "$T/empty.conf" $COMMON --now soon --dry-run "$T/history" >/dev/null 2>&1
expect_eq "a bad --now exits 2" 2 "$?"
printf 'mailauth-report-state 1\nfile x\n' >"$T/bad-state"
"$BIN" --config "$T/empty.conf" $COMMON --state "$T/bad-state" "$T/history" >/dev/null 2>"$T/e"
expect_eq "a damaged state file exits 3" 3 "$?"
expect_match "… naming the line" 'bad-state: line 2: malformed entry' "$(cat "$T/e")"
flock "$STATE.lock" sleep 3 &
lockpid=$!
sleep 0.5
run "$NOW1" "$T/history"
expect_eq "a run while another holds the lock exits 1" 1 "$?"
expect_match "… and says so" 'another mailauth-report holds' "$(cat "$T/run.err")"
wait "$lockpid"
"$BIN" --config "$T/empty.conf" $COMMON --dry-run "$T/history.1" "$T/history.1" >/dev/null 2>"$T/e"
expect_match "a file given twice is read once" 'same file as one given before' "$(cat "$T/e")"
"$BIN" --version | grep -q '^exim-mailauth [0-9]' && ok "--version" || bad "--version"

# ---- 8. eight processes writing history at once ----
"$W" --concurrent "$T/conc" 8 2500 "$D1" >"$T/w.out"
expect_eq "8 writers finish" "20000 records written by 8 processes" "$(cat "$T/w.out")"
expect_eq "20000 job lines" 20000 "$(grep -c '^job ' "$T/conc")"
expect_eq "20000 action lines" 20000 "$(grep -c '^action ' "$T/conc")"
expect_eq "every record starts with an empty line before its job line" 20000 \
	"$(grep -B1 '^job ' "$T/conc" | grep -c '^$')"
mkdir -p "$T/dc"
"$BIN" --config "$T/empty.conf" $COMMON --dry-run --out-dir "$T/dc" --now "$D3" "$T/conc" \
	>"$T/dc.out" 2>"$T/dc.err"
expect_eq "reporting the concurrent file exits 0" 0 "$?"
expect_no_match "no damaged fragment in the concurrent file" 'damaged' "$(cat "$T/dc.err")"
expect_match "all 20000 records are read and counted" '20000 records read, 20000 counted' "$(cat "$T/dc.out")"
totals=""
for w in 0 1 2 3 4 5 6 7; do
	totals="$totals$(report_of "$T/dc" "writer$w.example" | cut -d' ' -f6) "
done
expect_eq "each writer's 2500 records are in its domain's report" \
	"2500 2500 2500 2500 2500 2500 2500 2500 " "$totals"

# ---- 9. --flush: an unfinished day in two parts, nothing counted twice ----
"$W" "$T/hflush.all" >/dev/null <<EOF
job=a received=$((D1 + 100)) ip=192.0.2.1 from=flush.example mfrom=flush.example spf=pass spf_domain=flush.example pdomain=flush.example result=pass p=none align_spf=y rua=mailto:dmarc@flush.example count=3
job=b received=$((D1 + 5000)) ip=192.0.2.1 from=flush.example mfrom=flush.example spf=pass spf_domain=flush.example pdomain=flush.example result=pass p=none align_spf=y rua=mailto:dmarc@flush.example count=2
EOF
mkdir -p "$T/df1" "$T/df2"
flush_run() { # flush_run OUTDIR NOW [--flush]
	d=$1; now=$2; shift 2
	"$BIN" --config "$T/empty.conf" $COMMON --state "$T/fstate" --sendmail "$T/sendmail -t" \
		--out-dir "$d" --now "$now" "$@" "$T/hflush" >/dev/null 2>"$T/f.err"
}
# At the first run only the first 3 records have arrived.
head -c "$(grep -b '^job b.1$' "$T/hflush.all" | cut -d: -f1)" "$T/hflush.all" >"$T/hflush"
flush_run "$T/df1" $((D1 + 1000)) --flush
expect_eq "--flush reports the unfinished day" 0 "$?"
expect_eq "… up to now, with what has arrived" "flush.example $D1 $((D1 + 1000)) 3" \
	"$(report_of "$T/df1" flush.example | cut -d' ' -f1-3,6)"
# The rest arrives (same file, grown); the day ends.
tail -c +"$(($(wc -c <"$T/hflush") + 1))" "$T/hflush.all" >>"$T/hflush"
flush_run "$T/df2" $((D2 + 10))
expect_eq "the rest of the day follows when it has ended" 0 "$?"
expect_eq "… from where the flush stopped, without the records already reported" \
	"flush.example $((D1 + 1001)) $((D2 - 1)) 2" "$(report_of "$T/df2" flush.example | cut -d' ' -f1-3,6)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
