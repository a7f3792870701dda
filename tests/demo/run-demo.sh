#!/bin/sh
# tests/demo/run-demo.sh — what `make demo` runs: exim-mailauth in a real,
# private Exim, with sample mail, in well under a minute.
#
#   1. builds the module (make all; out/ unless O= is given);
#   2. starts Debian's exim4 as a daemon on 127.0.0.1 (a free port) with
#      tests/demo/exim.conf — its own spool, logs and maildirs in a
#      temporary directory, never the system's — and a mailauth.conf whose
#      DNS is the zone file tests/demo/demo.zone plus the DKIM and ARC keys
#      generated (openssl) for this run;
#   3. sends five messages with swaks, each from the loopback address of
#      its "internet host" (127.0.0.2, ...; see demo.zone), signed with
#      Debian's python3-dkim (dkimsign, and arcsign for the mailing lists);
#   4. shows for each one the SMTP answer, the results the module logged,
#      where the message was filed and the Authentication-Results field;
#      then a summary table;
#   5. stops the daemon and removes the directory (also on Ctrl-C).
#
# Needs root (Exim keeps its privilege with -C only for root).  Exits 1
# when a message did not end where the demo expects it.
# DEMO_KEEP=1 keeps the directory (mail, logs) for a closer look.
set -u
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
DEMO="$SRCDIR/tests/demo"
O=${O:-out}
case $O in /*) OUT=$O ;; *) OUT="$SRCDIR/$O" ;; esac
SO="$OUT/mailauth.so"
CHECK="$OUT/mailauth-check"
EXIM=${EXIM:-/usr/sbin/exim4}
PY=/usr/bin/python3

bold() { printf '\033[1m%s\033[0m\n' "$*"; }
if [ ! -t 1 ]; then bold() { printf '%s\n' "$*"; }; fi
die() { echo "demo: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run it as root (Exim keeps its privileges with -C only for root)"
for tool in "$EXIM" /usr/bin/swaks /usr/bin/openssl /usr/bin/dkimsign /usr/bin/arcsign "$PY"; do
	[ -x "$tool" ] || die "$tool is missing (make deps installs it)"
done
# Exim reads the module and the configuration snippets as its own user.
sh "$SRCDIR/build/exim-access.sh" "$SRCDIR" || die "cannot let Exim's user reach $SRCDIR"

T=""
cleanup() {
	status=$?
	trap - EXIT INT TERM
	if [ -n "$T" ] && [ -s "$T/exim.pid" ]; then
		pid=$(cat "$T/exim.pid")
		kill "$pid" 2>/dev/null
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		echo "Exim daemon (pid $pid) stopped."
	fi
	if [ -n "$T" ] && [ "${DEMO_KEEP:-0}" = 1 ]; then
		rm -f "$T/exim.pid"
		echo "Kept $T (DEMO_KEEP=1)."
	elif [ -n "$T" ]; then
		rm -rf "$T"
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted"; exit 130' INT TERM

# ---- 1. build --------------------------------------------------------
bold "exim-mailauth demo"
echo
jobs="-j$(nproc 2>/dev/null || echo 2)"
case "${MAKEFLAGS:-}" in *jobserver*|*-j*) jobs="" ;; esac
T=$(mktemp -d /tmp/mailauth-demo.XXXXXX) || die "mktemp failed"
printf 'Building (make all, O=%s) ... ' "$O"
b0=$(date +%s)
# shellcheck disable=SC2086
if ! make -C "$SRCDIR" $jobs O="$O" all >"$T/build.log" 2>&1; then
	echo "failed:"
	tail -n 30 "$T/build.log"
	exit 1
fi
build_s=$(($(date +%s) - b0))
echo "done ($build_s s)"
demo_start=$(date +%s)

# ---- 2. keys, zone, configuration, daemon ----------------------------
chmod 0755 "$T"
mkdir -p "$T/spool" "$T/log" "$T/mail" "$T/keys" "$T/msg"
chown Debian-exim:Debian-exim "$T/spool" "$T/log" "$T/mail"
chmod 0700 "$T/keys"

# newkey NAME: an RSA key pair; keyrecord NAME RECORD-NAME puts its public
# half into the zone as a DKIM key record (RFC 6376 3.6.1), split into
# strings of at most 255 bytes.
cp "$DEMO/demo.zone" "$T/zone"
echo "# generated for this run" >>"$T/zone"
newkey() {
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/keys/$1.key" 2>/dev/null
}
keyrecord() {
	pub=$(openssl pkey -in "$T/keys/$1.key" -pubout -outform DER 2>/dev/null | base64 -w 0)
	[ -n "$pub" ] || die "openssl could not make the key $1"
	printf '%s. TXT %s\n' "$2" "$(printf 'v=DKIM1; k=rsa; p=%s' "$pub" |
		fold -w 250 | sed 's/.*/"&"/' | tr '\n' ' ')" >>"$T/zone"
}
printf 'Generating DKIM and ARC keys (RSA 2048) ... '
for k in bank mailer lists other; do newkey $k & done
wait
keyrecord bank demo._domainkey.bank.example
keyrecord mailer news._domainkey.mailer.example
keyrecord lists arc._domainkey.lists.example
keyrecord other arc._domainkey.other-list.example
echo "done"

cat >"$T/mailauth.conf" <<CONF
# mailauth.conf of the demo (see module/conf/mailauth.conf.example)
# DNS only from the demo's zone file: nothing leaves the machine.
resolver = zone:$T/zone
# One main-log line per message with the four main results.
log_results = yes
# Accept DMARC failures that a trusted mailing list's ARC chain explains.
trusted_arc_sealers = lists.example
CONF

{
	echo "DEMO_DIR = $T"
	echo "DEMO_SRC = $SRCDIR"
	echo "MAILAUTH_LIBRARY = $SO"
	cat "$DEMO/exim.conf"
} >"$T/exim.conf"
chmod 0644 "$T/zone" "$T/mailauth.conf" "$T/exim.conf"

"$EXIM" -C "$T/exim.conf" -bV >"$T/bV.out" 2>&1 || { cat "$T/bV.out"; die "Exim rejects the configuration"; }
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$EXIM" -C "$T/exim.conf" -bd -oX "127.0.0.1.$PORT" -oP "$T/exim.pid" || die "Exim did not start"
i=0
until "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 50 ] || die "the daemon does not answer on 127.0.0.1:$PORT"
	sleep 0.1
done
LOG="$T/log/mainlog"

echo
echo "Exim $("$EXIM" -bV | sed -n '1s/^Exim version \([^ ]*\).*/\1/p') (pid $(cat "$T/exim.pid")) listens on 127.0.0.1:$PORT"
echo "  Exim configuration  tests/demo/exim.conf   (DMARC p=reject enforced, quarantine router)"
echo "  module              ${SO#"$SRCDIR"/}"
echo "  mailauth.conf       resolver = zone:tests/demo/demo.zone + this run's keys"
echo "                      trusted_arc_sealers = lists.example"
if [ "${DEMO_KEEP:-0}" = 1 ]; then
	echo "  spool, logs, mail   $T (kept: DEMO_KEEP=1)"
else
	echo "  spool, logs, mail   $T (removed at the end)"
fi

# ---- 3. the messages --------------------------------------------------
# message N FROM SUBJECT BODY [TO]: writes message N to $T/msg/N.
message() {
	f="$T/msg/$1"; from=$2; subj=$3; body=$4; to=${5:-Alice <alice@demo.test>}
	{
		echo "From: $from"
		echo "To: $to"
		echo "Subject: $subj"
		echo "Date: $(LC_ALL=C date -R)"
		echo "Message-ID: <demo-$1.$$.$(date +%s)@demo.invalid>"
		echo "MIME-Version: 1.0"
		echo "Content-Type: text/plain; charset=us-ascii"
		echo
		printf '%s\n' "$body"
	} >"$f"
}
# dkim FILE SELECTOR DOMAIN KEY: sign FILE in place (python3-dkim).
dkim() {
	/usr/bin/dkimsign "$2" "$3" "$T/keys/$4.key" <"$1" >"$1.signed" 2>"$1.err"
	grep -q '^DKIM-Signature:' "$1.signed" || die "dkimsign failed: $(cat "$1.err")"
	mv "$1.signed" "$1"
}
# via_list FILE LIST-DOMAIN KEY LIST-NAME: what a mailing list does with a
# post from bank.example's server: it checks the post (mailauth-check with
# its own authserv-id), adds its Authentication-Results, tags the
# Subject, adds a footer (which breaks the author's DKIM signature), then
# seals the result with ARC (python3-dkim's arcsign, RFC 8617), recording
# in the seal what it saw on arrival.
via_list() {
	f=$1; list=$2; key=$3; name=$4
	"$CHECK" --zone "$T/zone" --ip 127.0.0.2 --helo mail.bank.example \
		--mail-from news@bank.example --authserv-id "$list" --json "$f" >"$f.check" \
		|| die "mailauth-check failed on $f"
	ar=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["authentication_results"])' "$f.check")
	{
		printf '%s\n' "$ar"
		sed -e "1,/^\$/ s/^Subject: /Subject: [$name] /" -e "1,/^\$/ s/^\$/List-Id: <$name.$list>\n/" "$f"
		printf -- '-- \nYou are subscribed to %s@%s.\n' "$name" "$list"
	} >"$f.list"
	# arcsign is given CRLF lines: python3-dkim 1.1.4 computes a wrong
	# ARC-Seal for a message with LF line ends (its own arc_verify fails it).
	sed 's/$/\r/' "$f.list" | /usr/bin/arcsign arc "$list" "$T/keys/$key.key" "$list" \
		2>"$f.err" | tr -d '\r' >"$f"
	grep -q '^ARC-Seal:' "$f" || die "arcsign did not seal: $(tail -n 3 "$f.err")"
}

message 1 '"Bank of Example" <news@bank.example>' "Your monthly statement is ready" \
	"Dear Alice,

your statement for this month is ready in online banking.

Bank of Example"
dkim "$T/msg/1" demo bank.example bank

message 2 '"Bank of Example" <security@bank.example>' "Urgent: confirm your password" \
	"Dear customer,

your account will be closed today unless you confirm your password at
http://bank-example.invalid/login"

message 3 '"Example Shop" <offers@shop.example>' "50% off this weekend only" \
	"Everything must go!"
dkim "$T/msg/3" news mailer.example mailer

for n in 4 5; do
	list=lists.example
	[ $n = 5 ] && list=other-list.example
	message $n '"Bank of Example" <news@bank.example>' "New branch opening" \
		"Dear customers,

our new branch opens on Monday.

Bank of Example" "customers@$list"
	dkim "$T/msg/$n" demo bank.example bank
done
via_list "$T/msg/4" lists.example lists customers
via_list "$T/msg/5" other-list.example other customers

# ---- 4. send, deliver, show -----------------------------------------
# send N CLIENT-IP HELO MAIL-FROM: message N through the daemon with swaks,
# from CLIENT-IP.  Keeps the SMTP answer to the message ($T/N.reply) and
# the module's log line ($T/N.results).
send() {
	n=$1
	before=$(wc -l <"$LOG")
	# Without the file's final newline swaks sends exactly the message.
	head -c -1 "$T/msg/$n" >"$T/msg/$n.swaks"
	swaks --server 127.0.0.1 --port "$PORT" --local-interface "$2" --helo "$3" \
		--from "$4" --to alice@demo.test --data "@$T/msg/$n.swaks" >"$T/$n.swaks" 2>&1
	awk '/^ -> \.$/ { d = 1; next } d && /^<(-|\*\*) / { sub(/^<(-|\*\*) +/, ""); print; exit }' \
		"$T/$n.swaks" >"$T/$n.reply"
	[ -s "$T/$n.reply" ] || grep -E '^<(\*\*|-) ' "$T/$n.swaks" | tail -n 2 | head -n 1 |
		sed -E 's/^<(-|\*\*) +//' >"$T/$n.reply"
	tail -n +"$((before + 1))" "$LOG" | grep -E ' mailauth: [^ ]+ spf_result=' | head -n 1 |
		sed -E 's/.* mailauth: //' >"$T/$n.results"
}
send 1 127.0.0.2 mail.bank.example news@bank.example
send 2 127.0.0.66 mail.spam.example bounce@spam.example
send 3 127.0.0.4 out.mailer.example bounces@mailer.example
send 4 127.0.0.5 lists.example customers-bounces@lists.example
send 5 127.0.0.6 other-list.example customers-bounces@other-list.example

# Accepted messages are delivered right away; wait for the queue to empty.
i=0
while [ "$("$EXIM" -C "$T/exim.conf" -bpc 2>/dev/null)" != 0 ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done

# field N NAME: one result from message N's log line.
field() { sed -E "s/.*[ ]$2=([^ ]*).*/\\1/;t;d" "$T/$1.results"; }
# our_authres FILE: the Authentication-Results field of mx.demo.test (with
# its continuation lines) from a delivered message.
our_authres() {
	awk '/^Authentication-Results: mx\.demo\.test;/ { p = 1; print; next }
	     p && /^[ \t]/ { print; next } { p = 0 }' "$1"
}
# rejected_authres ID: the same field from Exim's reject log, which lists
# the headers of a message refused after DATA (two columns of flags).
rejected_authres() {
	awk -v id="$1" '
		/^[0-9][0-9][0-9][0-9]-/ { inmsg = index($0, " " id " ") > 0; p = 0; next }
		inmsg && /^[A-Z* ] Authentication-Results: mx\.demo\.test;/ { p = 1; print substr($0, 3); next }
		inmsg && p && /^[ \t]/ && !/^[A-Z* ] [^ \t:]+:/ { print; next }
		{ p = 0 }' "$T/log/rejectlog"
}
indent() { sed -e 's/\t/    /g' -e 's/^/      /'; }

unexpected=0
summary=""
# show N EXPECTED TITLE CLIENT-LINE
show() {
	n=$1; want=$2; ar=""
	echo
	bold "$n. $3"
	echo "   $4"
	reply=$(cat "$T/$n.reply")
	code=$(printf '%s' "$reply" | cut -c1-3)
	echo "   SMTP answer   $reply"
	if [ -s "$T/$n.results" ]; then
		id=$(sed 's/ .*//' "$T/$n.results")
		echo "   results       $(cut -d' ' -f2- "$T/$n.results" | sed 's/ /  /g')"
	else
		id=""
		echo "   results       (no mailauth line in the main log)"
	fi
	where="-"
	file=""
	case $code in
	2*)
		[ -n "$id" ] && file=$(grep -rl -- "id $id" "$T/mail" 2>/dev/null | head -n 1)
		if [ -n "$file" ]; then
			where=$(printf '%s' "${file#"$T/mail/"}" | cut -d/ -f2)
			echo "   filed in      mail/${file#"$T/mail/"}"
		else
			where="lost"
			echo "   filed in      NOT DELIVERED: $(grep -- "$id" "$LOG" | tail -n 1)"
		fi
		;;
	5*) where="refused" ;;
	4*) where="deferred" ;;
	*) where="?" ;;
	esac
	if [ -n "$file" ]; then
		ar=$(our_authres "$file")
		echo "   Authentication-Results added by mx.demo.test (from the delivered message):"
	elif [ -n "$id" ]; then
		ar=$(rejected_authres "$id")
		echo "   Authentication-Results (from Exim's reject log; the message was refused):"
	fi
	if [ -n "${ar:-}" ]; then printf '%s\n' "$ar" | indent; else echo "      (none found)"; fi
	if [ "$where" = "$want" ]; then
		verdict="ok"
	else
		verdict="UNEXPECTED (wanted $want)"
		unexpected=$((unexpected + 1))
	fi
	summary="$summary$(printf '%-2s %-40s %-5s %-9s %-9s %-11s %-5s %-11s' "$n" "$5" "${code:-?}" \
		"$(field "$n" spf_result)" "$(field "$n" dkim_verify_status)" \
		"$(field "$n" dmarc_status)" "$(field "$n" arc_state)" "$where")  $verdict
"
}

show 1 inbox "bank.example (DMARC p=reject): signed mail from its own server" \
	"from 127.0.0.2 (bank.example's server), MAIL FROM:<news@bank.example>, DKIM d=bank.example" \
	"bank.example, signed, own server"
show 2 refused "A spoofed bank.example From, sent by a spammer" \
	"from 127.0.0.66, MAIL FROM:<bounce@spam.example>, From: security@bank.example, no signature" \
	"spoofed From: bank.example"
show 3 quarantine "shop.example (DMARC p=quarantine) through a newsletter service it did not authorize" \
	"from 127.0.0.4, MAIL FROM:<bounces@mailer.example>, DKIM d=mailer.example (not shop.example)" \
	"shop.example via unaligned newsletter"
show 4 inbox "bank.example mail forwarded by the mailing list lists.example (trusted ARC sealer)" \
	"from 127.0.0.5, the list changed Subject and body (DKIM breaks) and sealed the message with ARC" \
	"bank.example via lists.example (trusted)"
show 5 refused "The same kind of post forwarded by other-list.example (ARC sealer not trusted here)" \
	"from 127.0.0.6, the list made the same changes and sealed the message with ARC" \
	"bank.example via other-list.example"

echo
bold "Summary"
printf '%-2s %-40s %-5s %-9s %-9s %-11s %-5s %-11s  %s\n' "#" "message" "SMTP" "spf" "dkim" "dmarc" "arc" "outcome" "expected?"
printf '%s' "$summary"
echo "(spf, dkim, dmarc, arc: the module's spf_result, dkim_verify_status, dmarc_status,"
echo " arc_state; outcome: the maildir the message was filed in, or refused with 550)"
echo
errors=$(grep -E 'mailauth: (configuration error|resolver)|failed to expand|panic' "$LOG" "$T/log/paniclog" 2>/dev/null | head -n 3)
if [ -n "$errors" ]; then
	echo "Problems in Exim's logs:"
	printf '%s\n' "$errors"
	unexpected=$((unexpected + 1))
fi
echo "Demo finished in $(($(date +%s) - demo_start)) s (build $build_s s); $unexpected unexpected outcome(s)."
[ "$unexpected" -eq 0 ]
