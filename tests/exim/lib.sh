# tests/exim/lib.sh — shared setup for tests that run Debian's real exim4.
# Sourced by the tests/exim/*.sh scripts.  Creates a private directory with
# its own spool, logs, mail store, zone file and configuration (never the
# system's), and helpers to count results, run `exim4 -bh` sessions and a
# private daemon on 127.0.0.1.
#
# Exim and privileges (spec chapter 6.1, "-C"): root may use -C and keeps
# its privilege, so these tests run as root.  Reception runs as Debian-exim
# (exim_user), so the spool, log and mail directories belong to it.  Every
# test message is only queued (queue_only); deliver_queue delivers it with
# a separate `exim4 -qff` run as root, into a maildir under $T/mail.
set -u
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
SO=${MAILAUTH_SO:-$SRCDIR/out/mailauth.so}
EXIM=${EXIM:-/usr/sbin/exim4}
PY=/usr/bin/python3
CLIENT="$SRCDIR/tests/exim/smtp_client.py"
T=$(mktemp -d /tmp/mailauth-exim.XXXXXX)
chmod 0755 "$T"
mkdir -p "$T/spool" "$T/log" "$T/mail"
if [ "$(id -u)" -eq 0 ]; then
	chown Debian-exim:Debian-exim "$T/spool" "$T/log" "$T/mail"
fi
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; }

# Commands run at exit, newest first (the daemon is always stopped).
at_exit_cmds=""
at_exit() { at_exit_cmds="$1; $at_exit_cmds"; }
trap 'eval "$at_exit_cmds"; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: expected '$2', got '$3'"; fi
}
# expect_match DESCRIPTION REGEX ACTUAL
expect_match() {
	if printf '%s' "$3" | grep -qE -- "$2"; then ok "$1"; else bad "$1: '$3' does not match /$2/"; fi
}
# expect_no_match DESCRIPTION REGEX ACTUAL
expect_no_match() {
	if printf '%s' "$3" | grep -qE -- "$2"; then bad "$1: '$3' matches /$2/"; else ok "$1"; fi
}

if [ ! -f "$SO" ]; then
	bad "module $SO not built"
	finish
	exit 1
fi

# A minimal configuration: private spool/log, module path as a macro.
write_base_conf() {
	cat >"$T/exim.conf" <<CONF
MAILAUTH = $SO
primary_hostname = mx.example.test
spool_directory = $T/spool
log_file_path = $T/log/%slog
exim_user = Debian-exim
exim_group = Debian-exim
never_users =
trusted_users = root
CONF
}

# The zone every test resolves from (resolver = zone:$T/zone): example.org
# authorizes 192.0.2.0/24 and publishes p=reject.
write_zone() {
	cat >"$T/zone" <<'ZONE'
example.org. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.example.org. 300 IN TXT "v=DMARC1; p=reject"
client.example.org. 300 IN A 192.0.2.1
ZONE
}

# write_mailauth_conf [EXTRA-LINES]: $T/mailauth.conf using the zone.
write_mailauth_conf() {
	write_zone
	{
		echo "# test configuration"
		echo "resolver = zone:$T/zone"
		echo "dns_timeout = 5s"
		[ $# -gt 0 ] && printf '%s\n' "$1"
	} >"$T/mailauth.conf"
}

# write_test_conf [MAIN-OPTIONS]: a complete Exim configuration whose ACLs
# call every dlfunc and log what they return as "TEST-..." lines:
#   TEST-RCPT  before=<get spf_result before spf> spf=<spf>
#   TEST-DATA  id=<message id> verify=<verify> spf=<get spf_result>
#              dmarc=<get dmarc_status> body=<get body_bytes>
#   TEST-FIELDS <fields>
# and the DATA ACL adds our Authentication-Results field at the top (unless
# NO_ACL_AUTHRES is set).  The
# connect ACL (and the non-SMTP ACL, which has no connection) selects
# $T/mailauth.conf unless NO_CONFIG_CALL is set.
write_test_conf() {
	write_base_conf
	cat >>"$T/exim.conf" <<CONF
$*
qualify_domain = example.test
domainlist local_domains = example.test
acl_smtp_connect = acl_connect
acl_smtp_rcpt = acl_rcpt
acl_smtp_data = acl_data
acl_not_smtp = acl_not_smtp
queue_only = true
tls_advertise_hosts =
pid_file_path = $T/exim.pid
host_lookup =
rfc1413_hosts =
keep_environment =

begin acl

acl_connect:
  .ifndef NO_CONFIG_CALL
  warn set acl_c_cfg = \${dlfunc{MAILAUTH}{config}{$T/mailauth.conf}}
       logwrite = TEST-CONNECT config=\$acl_c_cfg
  .endif
  accept

acl_rcpt:
  warn logwrite = TEST-RCPT before=\${dlfunc{MAILAUTH}{get}{spf_result}}
  warn set acl_m_spf = \${dlfunc{MAILAUTH}{spf}}
       logwrite = TEST-RCPT spf=\$acl_m_spf
  accept

acl_data:
  warn set acl_m_verify = \${dlfunc{MAILAUTH}{verify}}
  warn logwrite = TEST-DATA id=\$message_exim_id verify=\$acl_m_verify \
         spf=\${dlfunc{MAILAUTH}{get}{spf_result}} \
         dmarc=\${dlfunc{MAILAUTH}{get}{dmarc_status}} \
         body=\${dlfunc{MAILAUTH}{get}{body_bytes}}
  warn logwrite = TEST-FIELDS \${dlfunc{MAILAUTH}{fields}}
  .ifndef NO_ACL_AUTHRES
  warn add_header = :at_start:\${dlfunc{MAILAUTH}{authres}}
  .endif
  accept

acl_not_smtp:
  .ifndef NO_CONFIG_CALL
  warn set acl_m_cfg = \${dlfunc{MAILAUTH}{config}{$T/mailauth.conf}}
  .endif
  warn set acl_m_verify = \${dlfunc{MAILAUTH}{verify}}
  warn logwrite = TEST-DATA id=\$message_exim_id verify=\$acl_m_verify \
         spf=\${dlfunc{MAILAUTH}{get}{spf_result}} \
         dmarc=\${dlfunc{MAILAUTH}{get}{dmarc_status}} \
         body=\${dlfunc{MAILAUTH}{get}{body_bytes}}
  warn logwrite = TEST-FIELDS \${dlfunc{MAILAUTH}{fields}}
  .ifndef NO_ACL_AUTHRES
  warn add_header = :at_start:\${dlfunc{MAILAUTH}{authres}}
  .endif
  accept

begin routers

store:
  driver = accept
  domains = +local_domains
  transport = maildir

begin transports

maildir:
  driver = appendfile
  directory = $T/mail/inbox
  maildir_format
  user = Debian-exim
  group = Debian-exim
  mode = 0644
CONF
}

# A message file: write_message FILE FROM-ADDRESS BODY-TEXT [EXTRA-HEADER...]
write_message() {
	f=$1; from=$2; body=$3; shift 3
	{
		echo "From: Sender <$from>"
		echo "To: user@example.test"
		echo "Subject: test"
		echo "Message-ID: <$(basename "$f").$$@example.org>"
		for h in "$@"; do echo "$h"; done
		echo ""
		printf '%s\n' "$body"
	} >"$f"
}

# bh IP MESSAGE...: one `exim4 -bh IP` session sending the messages with
# DATA; stdout and stderr (Exim's commentary, LOG: lines) go to $T/bh.out.
bh() {
	ip=$1; shift
	"$PY" "$CLIENT" --stdin "$@" -- "$EXIM" -C "$T/exim.conf" -bh "$ip" >"$T/bh.out" 2>&1
}

# The values logged as TEST-<KIND> key=value (first or Nth occurrence); the
# ">>>" commentary of -bh, which echoes the unexpanded ACL lines, is skipped.
# logged KIND KEY [N] [FILE]
logged() {
	n=${3:-1}; file=${4:-$T/bh.out}
	grep -v '^>>>' "$file" | grep -E "TEST-$1( .*)? $2=" | sed -n "${n}p" | sed -E "s/.*[ ]$2=([^ ]*).*/\\1/;t;d"
}
# The TEST-FIELDS text (Nth occurrence).
logged_fields() {
	n=${1:-1}; file=${2:-$T/bh.out}
	grep -v '^>>>' "$file" | grep "TEST-FIELDS " | sed -n "${n}p" | sed -E 's/.*TEST-FIELDS //'
}
# field_of FIELDS-TEXT NAME: the value of name="value" in a fields text.
field_of() {
	printf '%s' "$1" | sed -E "s/.*(^| )$2=\"(([^\"\\\\]|\\\\.)*)\".*/\\2/;t;d"
}

# free_port: an unused TCP port on 127.0.0.1.
free_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# daemon_start: a private daemon on 127.0.0.1:$PORT with $T/exim.conf,
# stopped at exit whatever happens.
daemon_start() {
	PORT=$(free_port)
	"$EXIM" -C "$T/exim.conf" -bd -oX "127.0.0.1.$PORT" -oP "$T/exim.pid"
	at_exit daemon_stop
	i=0
	while [ $i -lt 50 ]; do
		if "$PY" -c "import socket,sys; socket.create_connection(('127.0.0.1', $PORT), 1)" 2>/dev/null; then
			return 0
		fi
		sleep 0.1; i=$((i + 1))
	done
	bad "daemon did not start on 127.0.0.1:$PORT"
	return 1
}

daemon_stop() {
	if [ -s "$T/exim.pid" ]; then
		pid=$(cat "$T/exim.pid")
		kill "$pid" 2>/dev/null
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		rm -f "$T/exim.pid"
	fi
}

# deliver_queue: deliver everything queued (as root, same configuration).
deliver_queue() {
	"$EXIM" -C "$T/exim.conf" -qff
	i=0
	while [ -n "$("$EXIM" -C "$T/exim.conf" -bpc 2>/dev/null | grep -v '^0$')" ] && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
}

# delivered_file ID: the maildir file of message ID (found by its Exim id in
# the Received field).
delivered_file() {
	grep -rl -- "id $1" "$T/mail" 2>/dev/null | head -n 1
}
