#!/bin/sh
# DMARC aggregate reports end to end with Debian's real exim4:
#   1. a private daemon (DNS from a zone file) receives 32 messages from
#      three sending domains: pass.example (SPF and DKIM aligned, from its
#      own server 127.0.0.1), fail.example (forged, from 127.0.0.2, SPF
#      fail, p=reject) and fwd.example (forwarded through 127.0.0.3: SPF
#      fails, its DKIM signature passes); the module's verify writes one
#      history record per message;
#   2. mailauth-report, run "the next day", builds the reports and submits
#      them through Exim's own sendmail interface (exim4 -t); Exim delivers
#      them to the local maildir of the rua= addresses (example.test, an
#      external destination that authorizes the three domains through
#      <domain>._report._dmarc.example.test);
#   3. every delivered report validates against the RFC 9990 schema
#      (xmllint; when the schema is absent the structure is checked here),
#      its Report-ID matches Subject and file name, and its counts and
#      results match what was sent;
#   4. fwd.example's second rua= host does not authorize reports: nothing
#      is sent there and the tool says why;
#   5. the reports themselves pass through verify too (example.test
#      publishes a DMARC policy): their history records are marked as
#      reports, and a later run reports nothing about them (no loops) and
#      nothing twice.
. "$(dirname "$0")/lib.sh"
REPORT=${MAILAUTH_REPORT:-$SRCDIR/out/mailauth-report}
CONF_DIR=${MAILAUTH_CONFORMANCE:-$SRCDIR/../shared/conformance}
XSD="$CONF_DIR/dmarc-aggregate-dmarcbis/dmarc-xml-0.2.xsd"
log="$T/log/mainlog"
command -v swaks >/dev/null || bad "swaks is not installed"
[ -x "$REPORT" ] || { bad "$REPORT is not built"; finish; exit 1; }

mkdir -p "$T/hist"
chown Debian-exim:Debian-exim "$T/hist" 2>/dev/null
write_mailauth_conf "history_file = $T/hist/history"

# ---- DNS ----
openssl genrsa -traditional -out "$T/fwd.pem" 2048 2>/dev/null
pub=$(openssl rsa -in "$T/fwd.pem" -pubout -outform DER 2>/dev/null | base64 -w0)
{
	cat <<'ZONE'
pass.example. TXT "v=spf1 ip4:127.0.0.1 -all"
_dmarc.pass.example. TXT "v=DMARC1; p=reject; rua=mailto:dmarc-pass@example.test"
fail.example. TXT "v=spf1 ip4:127.0.0.1 -all"
_dmarc.fail.example. TXT "v=DMARC1; p=reject; rua=mailto:dmarc-fail@example.test!10m"
fwd.example. TXT "v=spf1 ip4:127.0.0.1 -all"
_dmarc.fwd.example. TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc-fwd@example.test,mailto:dmarc@unauth.test"
pass.example._report._dmarc.example.test. TXT "v=DMARC1"
fail.example._report._dmarc.example.test. TXT "v=DMARC1"
fwd.example._report._dmarc.example.test. TXT "v=DMARC1"
_dmarc.example.test. TXT "v=DMARC1; p=none; rua=mailto:dmarc-loop@example.test"
ZONE
	# The key in TXT strings of at most 250 bytes.
	printf 'sel._domainkey.fwd.example. TXT'
	printf 'v=DKIM1; k=rsa; p=%s\n' "$pub" | fold -w 250 | while IFS= read -r part; do printf ' "%s"' "$part"; done
	echo
} >"$T/zone"

write_test_conf
daemon_start || { finish; exit 1; }

# send N IP FROM-ADDRESS [sign]: N messages from the client address IP.
sent=0
send() {
	n=$1; ip=$2; from=$3; sign=${4:-}
	i=1
	while [ "$i" -le "$n" ]; do
		# (write_message uses $f itself: this loop's file is $mf)
		mf="$T/m-$ip-$i"
		write_message "$mf.raw" "$from" "message $i from $from via $ip"
		if [ -n "$sign" ]; then
			"$PY" - "$T/fwd.pem" "$mf.raw" "$mf" <<'PYEOF'
import sys, dkim
key = open(sys.argv[1], "rb").read()
msg = open(sys.argv[2], "rb").read()
sig = dkim.sign(msg, b"sel", b"fwd.example", key, canonicalize=(b"relaxed", b"relaxed"),
                include_headers=[b"from", b"to", b"subject", b"message-id"])
open(sys.argv[3], "wb").write(sig + msg)
PYEOF
		else
			cp "$mf.raw" "$mf"
		fi
		head -c -1 "$mf" >"$mf.swaks"
		if swaks --server 127.0.0.1 --port "$PORT" --local-interface "$ip" \
			--helo "client.$(echo "$from" | cut -d@ -f2)" --from "$from" \
			--to user@example.test --data "@$mf.swaks" >"$T/swaks.out" 2>&1 &&
			grep -q '250 OK id=' "$T/swaks.out"; then
			sent=$((sent + 1))
		else
			bad "message $i from $from via $ip was not accepted: $(tail -n 3 "$T/swaks.out")"
		fi
		i=$((i + 1))
	done
}

# ---- 1. 32 messages from three domains ----
send 12 127.0.0.1 alice@pass.example
send 10 127.0.0.2 ceo@fail.example
send 10 127.0.0.3 news@fwd.example sign
expect_eq "32 messages accepted" 32 "$sent"
daemon_stop
H="$T/hist/history"
expect_eq "the module wrote one history record per message" 32 "$(grep -c '^job ' "$H" 2>/dev/null)"
expect_eq "records for pass.example" 12 "$(grep -c '^pdomain pass.example$' "$H")"
expect_eq "records for fail.example" 10 "$(grep -c '^pdomain fail.example$' "$H")"
expect_eq "records for fwd.example" 10 "$(grep -c '^pdomain fwd.example$' "$H")"
expect_eq "no history error was logged" "" "$(grep -o 'history_error="[^"]' "$log" | head -n 1)"

# ---- 2. reports, the next day, through exim4 -t ----
now=$(date +%s)
next=$(( (now / 86400 + 1) * 86400 + 300 ))
STATE="$T/report-state"
run_report() { # run_report NOW
	"$REPORT" --org-name "Example Test Receiver" --email dmarc-reports@example.test \
		--state "$STATE" --zone "$T/zone" --sendmail "$EXIM -C $T/exim.conf -t" \
		--now "$1" -v "$H" >"$T/report.out" 2>"$T/report.err"
}
run_report "$next"
expect_eq "mailauth-report exits 0" 0 "$?"
cat "$T/report.out" "$T/report.err"
expect_match "the destination that does not authorize reports is named, with the reason" \
	'not sending the report for fwd\.example to dmarc@unauth\.test: unauth\.test does not authorize reports for other domains: no TXT record at fwd\.example\._report\._dmarc\.unauth\.test' \
	"$(cat "$T/report.err")"
deliver_queue

# The delivered reports: To, Subject, Report-ID, and the attachment.
mkdir -p "$T/reports"
"$PY" - "$T/mail" "$T/reports" <<'PYEOF' >"$T/delivered.txt"
import email, email.policy, gzip, os, re, sys
src, out = sys.argv[1], sys.argv[2]
for root, dirs, files in os.walk(src):
    for n in sorted(files):
        m = email.message_from_binary_file(open(os.path.join(root, n), "rb"), policy=email.policy.default)
        subj = " ".join(str(m["Subject"] or "").split())
        if not subj.startswith("Report Domain:"):
            continue
        att = [p for p in m.walk() if p.get_content_type() == "application/gzip"]
        data = att[0].get_payload(decode=True) if att else b""
        fn = att[0].get_filename() if att else "-"
        open(os.path.join(out, fn), "wb").write(data)
        rid = re.search(r"<report_id>([^<]*)</report_id>", gzip.decompress(data).decode()).group(1)
        print("|".join([str(m["To"]), subj, rid, fn]))
PYEOF
expect_eq "the delivered messages parse" 0 "$?"
cat "$T/delivered.txt"
for d in pass fail fwd; do
	n=$(grep -c "^dmarc-$d@example.test|Report Domain: $d.example Submitter: example.test Report-ID: " "$T/delivered.txt")
	if [ "$n" -ge 1 ]; then ok "a report about $d.example reached dmarc-$d@example.test through Exim"; else bad "no report about $d.example in the maildir"; fi
done
expect_eq "only the three authorized rua addresses got reports" 0 \
	"$(grep -vc '^dmarc-\(pass\|fail\|fwd\)@example.test|' "$T/delivered.txt")"
bad_ids=$(awk -F'|' '{ split($2, s, "Report-ID: "); if (s[2] != $3 || index($4, "!" $3 ".xml.gz") == 0) print $0 }' "$T/delivered.txt")
expect_eq "Subject, report_id and file name carry the same Report-ID" "" "$bad_ids"

# ---- 3. schema and counts ----
if [ -f "$XSD" ] && command -v xmllint >/dev/null; then
	for f in "$T/reports"/*.xml.gz; do
		if zcat "$f" | xmllint --noout --schema "$XSD" - >"$T/xmllint.out" 2>&1; then
			ok "$(basename "$f") validates against the RFC 9990 schema"
		else
			bad "$(basename "$f"): $(head -n 5 "$T/xmllint.out")"
		fi
	done
else
	echo "NOTE: schema $XSD (or xmllint) absent: checking the structure RFC 9990 describes instead"
fi
# Per domain: messages, and how many had SPF / DKIM aligned and which
# disposition, over all of its reports (two if the run crossed midnight).
"$PY" - "$T/reports" <<'PYEOF' >"$T/counts.txt"
import collections, gzip, os, sys, xml.etree.ElementTree as ET
NS = "{urn:ietf:params:xml:ns:dmarc-2.0}"
tot = collections.defaultdict(collections.Counter)
for n in os.listdir(sys.argv[1]):
    root = ET.fromstring(gzip.open(os.path.join(sys.argv[1], n)).read())
    assert root.tag == NS + "feedback"
    assert [c.tag for c in root][:3] == [NS + "version", NS + "report_metadata", NS + "policy_published"]
    d = root.find(NS + "policy_published/" + NS + "domain").text
    for rec in root.findall(NS + "record"):
        row = rec.find(NS + "row")
        c = int(row.find(NS + "count").text)
        pe = row.find(NS + "policy_evaluated")
        t = tot[d]
        t["messages"] += c
        t["dkim_" + pe.find(NS + "dkim").text] += c
        t["spf_" + pe.find(NS + "spf").text] += c
        t["ip_" + row.find(NS + "source_ip").text] += c
        t["disp_" + pe.find(NS + "disposition").text] += c
        for s in rec.findall(NS + "auth_results/" + NS + "spf"):
            t["spfres_" + s.find(NS + "result").text] += c
        for s in rec.findall(NS + "auth_results/" + NS + "dkim"):
            t["dkimres_" + s.find(NS + "result").text] += c
for d in sorted(tot):
    print(d, " ".join("%s=%d" % kv for kv in sorted(tot[d].items())))
PYEOF
expect_eq "the reports parse and have the RFC 9990 structure" 0 "$?"
cat "$T/counts.txt"
line() { grep "^$1 " "$T/counts.txt"; }
expect_eq "pass.example: 12 messages from its server 127.0.0.1, SPF pass and aligned, DMARC pass" \
	'pass.example disp_pass=12 dkim_fail=12 ip_127.0.0.1=12 messages=12 spf_pass=12 spfres_pass=12' \
	"$(line pass.example)"
expect_eq "fail.example: 10 forged messages from 127.0.0.2, SPF fail, no DKIM, rejected by policy" \
	'fail.example disp_reject=10 dkim_fail=10 ip_127.0.0.2=10 messages=10 spf_fail=10 spfres_fail=10' \
	"$(line fail.example)"
expect_eq "fwd.example: 10 forwarded messages via 127.0.0.3, SPF fail, DKIM pass and aligned" \
	'fwd.example disp_pass=10 dkim_pass=10 dkimres_pass=10 ip_127.0.0.3=10 messages=10 spf_fail=10 spfres_fail=10' \
	"$(line fwd.example)"
expect_eq "no report about any other domain" 3 "$(wc -l <"$T/counts.txt")"

# ---- 5. the reports' own records; a later run sends nothing more ----
expect_eq "the reports went through verify and are marked as reports in the history" \
	"$(grep -c . "$T/delivered.txt")" "$(grep -c ' report=y' "$H")"
before=$(find "$T/mail" -type f | wc -l)
run_report $((next + 86400))
expect_eq "the next day's run exits 0" 0 "$?"
expect_match "it reads the reports' records but counts none" '[1-9][0-9]* records? read, 0 counted; 0 reports due' "$(cat "$T/report.out")"
deliver_queue
expect_eq "nothing more was delivered (no reports about reports, nothing twice)" "$before" \
	"$(find "$T/mail" -type f | wc -l)"
finish
