#!/bin/sh
# tests/bench/exim_e2e.sh — end to end through Debian's real Exim (issue
# 7): the CPU Exim spends per message received with `exim4 -C CONF -bh IP`
# (a full SMTP session on standard input, the message written to a private
# spool, the ACLs run) with three configurations on the same corpus:
#
#   base     no verification (Exim's built-in DKIM switched off with
#            control = dkim_disable_verify, as the others do where they
#            do not use it)
#   module   our `verify` in the DATA ACL (SPF of MAIL FROM and HELO,
#            DKIM, ARC, DMARC) plus our Authentication-Results header;
#            DNS from libunbound inside Exim, answering from a zone file
#   exim     Exim's built-in DKIM verification (acl_smtp_dkim logs
#            $dkim_verify_status); DKIM only
#
# and two connection patterns: one connection carrying many messages (the
# per-process state is warm: libunbound context, DKIM key cache), and one
# message per connection (what a public MX mostly sees: Exim forks a
# process per connection, so every message pays for loading the module,
# creating the resolver and decoding the key).  The figure is user+system
# CPU time of the Exim processes (getrusage of children, e2e_driver.py),
# per message; the module's and Exim's added CPU is their difference to
# base, measured in alternating rounds.
#
# Exim's own DKIM code asks the C library's resolver, so everything runs
# in private mount and network namespaces (unshare) where /etc/resolv.conf
# names 127.0.0.1 and zone_dns.py serves the same zone file there.  That
# responder is a separate process, so its CPU is not counted: Exim's figure
# leaves out the answering side of its DNS, while the module's includes
# all of its DNS work (libunbound runs inside Exim).
#
# Corpus: the signed messages of bench_dkim --dump (From and d= example.org,
# rsa-sha256 2048 and ed25519-sha256, relaxed, 4 KB text and 32 KB
# multipart), sent from 192.0.2.25, which example.org's SPF allows; DMARC
# p=reject.  Every message must come out dkim=pass (and dmarc accept for
# the module): otherwise the script fails (exit 1) — the figures would
# mean nothing.
#
# Usage: exim_e2e.sh [SECONDS]   (scales the number of messages; default 1)
# Needs root (exim -C keeps its privileges only for root; namespaces),
# Debian's exim4-daemon-heavy, /usr/bin/python3 with dnspython, unshare,
# and the build in ${O:-out} (mailauth.so, bench/bench_dkim).
set -u
S=${1:-1}
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
B=${O:-out}
case "$B" in /*) ;; *) B=$SRCDIR/$B ;; esac

if [ -z "${MAILAUTH_E2E_INNER:-}" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "exim_e2e: needs root (exim -C, unshare)" >&2
		exit 1
	fi
	exec env MAILAUTH_E2E_INNER=1 O="$B" unshare --mount --net sh "$0" "$@"
fi

fail() { echo "exim_e2e: $*" >&2; exit 1; }
# The new network namespace's loopback starts down: bring it up (with
# iproute2 when installed, else with the SIOCSIFFLAGS ioctl).
if command -v ip >/dev/null 2>&1; then
	ip link set lo up
else
	/usr/bin/python3 -c '
import fcntl, socket, struct
s = socket.socket()
flags = struct.unpack("16sH14x", fcntl.ioctl(s, 0x8913, struct.pack("16sH14x", b"lo", 0)))[1]
fcntl.ioctl(s, 0x8914, struct.pack("16sH14x", b"lo", flags | 1))'
fi || fail "cannot bring up the loopback interface of the namespace"

MAILAUTH_SO=$B/mailauth.so
export MAILAUTH_SO
# tests/exim/lib.sh: $T (private dir with spool and log owned by
# Debian-exim), $EXIM, $PY, write_base_conf, at_exit, cleanup at exit.
. "$SRCDIR/tests/exim/lib.sh"

[ -x "$B/bench/bench_dkim" ] || fail "$B/bench/bench_dkim not built"
"$PY" -c 'import dns.message' 2>/dev/null || fail "/usr/bin/python3 lacks dnspython"

# --- corpus and zone ------------------------------------------------------
mkdir -p "$T/corpus"
"$B/bench/bench_dkim" --dump "$T/corpus" >/dev/null || fail "bench_dkim --dump failed"
msgs=$(awk -F '\t' '$2 == 1 && $5 == "relaxed" && (($4 == 32 && $6 == "mixed") || ($4 == 4 && $6 == "text")) { print $1 }' "$T/corpus/cases")
set --
for m in $msgs; do set -- "$@" "$T/corpus/$m"; done
[ $# -ge 2 ] || fail "corpus cases not found in $T/corpus/cases"
NMSG=$#
cat >>"$T/corpus/zone" <<'ZONE'
example.org. TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.example.org. TXT "v=DMARC1; p=reject"
sender.example.org. TXT "v=spf1 a -all"
sender.example.org. A 192.0.2.25
ZONE
printf 'resolver = zone:%s\ndns_timeout = 5s\n' "$T/corpus/zone" >"$T/mailauth.conf"

# --- DNS for Exim's own lookups ------------------------------------------
echo "nameserver 127.0.0.1" >"$T/resolv.conf"
mount --bind "$T/resolv.conf" /etc/resolv.conf || fail "cannot bind-mount resolv.conf in the namespace"
"$PY" "$SRCDIR/tests/bench/zone_dns.py" "$T/corpus/zone" 127.0.0.1 53 "$T/dns.ready" \
	2>"$T/dns.err" &
dns_pid=$!
at_exit "kill $dns_pid 2>/dev/null"
i=0
while [ ! -f "$T/dns.ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -f "$T/dns.ready" ] || fail "zone_dns.py did not start: $(cat "$T/dns.err")"

# --- Exim configurations ---------------------------------------------------
common() {
	write_base_conf
	cat >>"$T/exim.conf" <<CONF
qualify_domain = example.test
domainlist local_domains = example.test
queue_only = true
tls_advertise_hosts =
host_lookup =
rfc1413_hosts =
keep_environment =
acl_smtp_rcpt = acl_rcpt
acl_smtp_data = acl_data
CONF
}

# base
common
cat >>"$T/exim.conf" <<'CONF'

begin acl
acl_rcpt:
  accept control = dkim_disable_verify
acl_data:
  accept logwrite = BENCH-BASE done
CONF
mv "$T/exim.conf" "$T/base.conf"

# module
common
cat >>"$T/exim.conf" <<CONF
acl_smtp_connect = acl_connect

begin acl
acl_connect:
  accept set acl_c_cfg = \${dlfunc{MAILAUTH}{config}{$T/mailauth.conf}}
acl_rcpt:
  accept control = dkim_disable_verify
acl_data:
  warn set acl_m_dmarc = \${dlfunc{MAILAUTH}{verify}}
       add_header = :at_start:\${dlfunc{MAILAUTH}{authres}}
  accept logwrite = BENCH-MODULE dkim=\${dlfunc{MAILAUTH}{get}{dkim_verify_status}} dmarc=\$acl_m_dmarc
CONF
mv "$T/exim.conf" "$T/module.conf"

# exim: built-in DKIM, one ACL run per signer
common
cat >>"$T/exim.conf" <<'CONF'
acl_smtp_dkim = acl_dkim

begin acl
acl_rcpt:
  accept
acl_dkim:
  accept logwrite = BENCH-EXIM dkim=$dkim_verify_status reason=$dkim_verify_reason
acl_data:
  accept logwrite = BENCH-BASE done
CONF
mv "$T/exim.conf" "$T/exim-dkim.conf"

# --- measuring ---------------------------------------------------------------
ROUNDS=3
# messages per round: one connection with MANY, and ONE-message connections
MANY=$(awk -v s="$S" 'BEGIN { n = int(60 * s); if (n < 8) n = 8; print n }')
ONES=$(awk -v s="$S" 'BEGIN { n = int(20 * s); if (n < 4) n = 4; print n }')

# run CONF SESSIONS PER-SESSION: adds to $T/sum.<conf>.<mode> "cpu wall n"
run() {
	conf=$1; sessions=$2; per=$3; mode=$4
	shift 4
	out=$("$PY" "$SRCDIR/tests/bench/e2e_driver.py" --sessions "$sessions" \
		--per-session "$per" --log "$T/log.$conf.$mode" "$@" -- \
		"$EXIM" -C "$T/$conf.conf" -bh 192.0.2.25 2>&1) || fail "$conf: $out"
	set -- $out
	[ "$4" -eq 0 ] || fail "$conf: $4 messages refused"
	echo "$1 $2 $3" >>"$T/sum.$conf.$mode"
}

configs="base module exim-dkim"
r=0
while [ $r -lt $ROUNDS ]; do
	for c in $configs; do
		run "$c" 1 "$MANY" many "$@"
		run "$c" "$ONES" 1 one "$@"
	done
	# rotate, so no configuration always runs first
	configs="${configs#* } ${configs%% *}"
	r=$((r + 1))
done

# --- results must be right ---------------------------------------------------
# count KIND-REGEX FILE: log lines (not the -bh echo of the ACL, ">>>")
count() { grep -v '^>>>' "$2" | grep -cE "$1"; }
for mode in many one; do
	total=$(awk '{ n += $3 } END { print n }' "$T/sum.module.$mode")
	ok=$(count 'BENCH-MODULE dkim=pass dmarc=accept' "$T/log.module.$mode")
	[ "$ok" -eq "$total" ] || {
		grep -v '^>>>' "$T/log.module.$mode" | grep 'BENCH-MODULE' | sort | uniq -c | head >&2
		fail "module ($mode): $ok of $total messages dkim=pass dmarc=accept"
	}
	total=$(awk '{ n += $3 } END { print n }' "$T/sum.exim-dkim.$mode")
	ok=$(count 'BENCH-EXIM dkim=pass' "$T/log.exim-dkim.$mode")
	[ "$ok" -eq "$total" ] || {
		grep -v '^>>>' "$T/log.exim-dkim.$mode" | grep -E 'BENCH-EXIM|DKIM' | sort | uniq -c | head >&2
		fail "Exim's DKIM ($mode): $ok of $total messages dkim=pass"
	}
	bad=$(count 'BENCH-(MODULE|EXIM)' "$T/log.base.$mode")
	[ "$bad" -eq 0 ] || fail "base configuration verified something"
done

# --- report ----------------------------------------------------------------
# per CONF MODE: "cpu_ms_per_msg wall_msgs_per_s n lowest-highest-round"
per() {
	awk '{ c += $1; w += $2; n += $3; r = 1000 * $1 / $3
	       if (NR == 1 || r < lo) lo = r; if (NR == 1 || r > hi) hi = r }
	     END { printf "%.3f %.1f %d %.2f-%.2f\n", 1000 * c / n, n / w, n, lo, hi }' "$T/sum.$1.$2"
}
echo "Exim $("$EXIM" -bV | sed -n '1s/Exim version \([^ ]*\).*/\1/p') -bh, corpus of $NMSG messages (4 KB and 32 KB, rsa-sha256 2048 and ed25519);"
echo "CPU = user+sys of the Exim processes; $ROUNDS alternating rounds (lowest-highest"
echo "round beside the mean: the machine's noise)"
for mode in many one; do
	if [ "$mode" = many ]; then
		echo
		echo "one connection, $MANY messages each round (per-process state warm):"
	else
		echo
		echo "one message per connection, $ONES connections each round (process start included):"
	fi
	printf '  %-34s %11s %13s %10s %10s\n' "configuration" "CPU ms/msg" "(rounds)" "added ms" "wall msg/s"
	set -- $(per base $mode); b=$1
	printf '  %-34s %11.3f %13s %10s %10.1f\n' "no verification" "$1" "$4" "-" "$2"
	set -- $(per module $mode); m=$1
	printf '  %-34s %11.3f %13s %+10.3f %10.1f\n' "mailauth verify (SPF+DKIM+DMARC)" "$1" "$4" \
		"$(awk -v a="$1" -v b="$b" 'BEGIN { print a - b }')" "$2"
	set -- $(per exim-dkim $mode); e=$1
	printf '  %-34s %11.3f %13s %+10.3f %10.1f\n' "Exim built-in DKIM" "$1" "$4" \
		"$(awk -v a="$1" -v b="$b" 'BEGIN { print a - b }')" "$2"
	awk -v m="$m" -v e="$e" -v b="$b" 'BEGIN {
		if (e - b > 0) printf "  module added / Exim DKIM added: %.2f\n", (m - b) / (e - b)
		else printf "  (Exim DKIM added less than the noise between rounds)\n"
		if (b > 0) printf "  module total / no verification: %.2f\n", m / b }'
done
