# tests/exim/lib-mta.sh — helpers for the tests that run Debian's real
# exim4 as one or more complete mail servers with a policy: signed mail,
# rules that reject, quarantine and defer, a router that files quarantined
# mail, and a second server on another 127.0.0.1 port that messages are
# forwarded to.  Sourced after lib.sh (which provides $T, $EXIM, $PY, the
# counters and the cleanup trap).
#
# Each server NAME lives in $T/NAME: exim.conf, mailauth.conf, spool/, log/,
# mail/inbox/ and mail/quarantine/ (maildirs), exim.pid.  Its DATA ACL:
#   verify, then log "TEST-RESULT id=... dmarc=... spf=... dkim=... arc=...
#   override=..." and "TEST-FIELDS <fields>";
#   defer  (451 "mailauth temperror: try again later") on dmarc_status temperror;
#   deny   (550 "DMARC policy of DOMAIN says reject") on reject;
#   on quarantine: header "X-Mailauth-Quarantine: yes" (and the router
#   `quarantine` files the message into mail/quarantine/ by $acl_m_dmarc);
#   our Authentication-Results at the top.
# Options (macros or main options given to mta_conf as "NAME = value" lines):
#   FORWARD_PORT = N   route every recipient to 127.0.0.1:N (smtp transport)
#   ARC_SEAL = yes     that transport adds the ARC set (headers_add)
#   ACL_SEAL = yes     the DATA ACL adds the ARC set on top (arc_seal add_header)
#   SUBJECT_TAG = yes  the DATA ACL prefixes the Subject with "[fwd] " (as a
#                      list or forwarder that changes the message would)
#   PLAIN_RELAY = yes  a plain relay: the ACLs do not call the module
MAILTOOL="$SRCDIR/tests/exim/mailtool.py"

# mta_init NAME: the directories of server NAME.
mta_init() {
	mkdir -p "$T/$1/spool" "$T/$1/log" "$T/$1/mail"
	if [ "$(id -u)" -eq 0 ]; then
		chown Debian-exim:Debian-exim "$T/$1/spool" "$T/$1/log" "$T/$1/mail"
	fi
}

# mta_conf NAME HOSTNAME [MACRO-LINES]: write $T/NAME/exim.conf.
mta_conf() {
	d="$T/$1"
	cat >"$d/exim.conf" <<CONF
MAILAUTH = $SO
TEST_CONF_FILE = $d/mailauth.conf
${3:-}
primary_hostname = $2
spool_directory = $d/spool
log_file_path = $d/log/%slog
pid_file_path = $d/exim.pid
exim_user = Debian-exim
exim_group = Debian-exim
never_users =
trusted_users = root
qualify_domain = example.test
domainlist local_domains = example.test
acl_smtp_connect = acl_connect
acl_smtp_data = acl_data
acl_smtp_rcpt = acl_rcpt
acl_not_smtp = acl_not_smtp
queue_only = true
tls_advertise_hosts =
host_lookup =
rfc1413_hosts =
keep_environment =
log_selector = +received_recipients

begin acl

acl_connect:
  .ifndef PLAIN_RELAY
  warn set acl_c_cfg = \${dlfunc{MAILAUTH}{config}{TEST_CONF_FILE}}
  .endif
  accept

acl_rcpt:
  accept

acl_data:
  .ifdef UNVERIFIED_SENDER
  # like mail from relay_from_hosts in the shipped snippets: not verified
  accept senders = UNVERIFIED_SENDER
  .endif
  .ifndef PLAIN_RELAY
  warn acl = acl_mailauth
  defer condition = \${if eq{\$acl_m_dmarc}{temperror}}
        message = mailauth temperror: try again later
  deny  condition = \${if eq{\$acl_m_dmarc}{reject}}
        message = DMARC policy of \${extract{dmarc_used_domain}{\$acl_m_fields}} says reject
  warn  condition = \${if eq{\$acl_m_dmarc}{quarantine}}
        add_header = X-Mailauth-Quarantine: yes
  warn  add_header = :at_start:\${dlfunc{MAILAUTH}{authres}}
  .ifdef ACL_SEAL
  warn  add_header = \${dlfunc{MAILAUTH}{arc_seal}{add_header}}
  .endif
  .endif
  .ifdef SUBJECT_TAG
  warn  remove_header = Subject
        add_header = Subject: [fwd] \$h_subject:
  .endif
  accept

acl_not_smtp:
  .ifndef PLAIN_RELAY
  warn  set acl_c_cfg = \${dlfunc{MAILAUTH}{config}{TEST_CONF_FILE}}
  warn  acl = acl_mailauth
  warn  add_header = :at_start:\${dlfunc{MAILAUTH}{authres}}
  .endif
  accept

acl_mailauth:
  warn  set acl_m_dmarc = \${dlfunc{MAILAUTH}{verify}}
        set acl_m_fields = \${dlfunc{MAILAUTH}{fields}}
        logwrite = TEST-RESULT id=\$message_exim_id dmarc=\$acl_m_dmarc \
          spf=\${extract{spf_result}{\$acl_m_fields}} \
          dkim=\${extract{dkim_verify_status}{\$acl_m_fields}} \
          arc=\${extract{arc_state}{\$acl_m_fields}} \
          override=\${extract{dmarc_override}{\$acl_m_fields}}
        logwrite = TEST-FIELDS id=\$message_exim_id \$acl_m_fields
  accept

begin routers

.ifdef FORWARD_PORT
forward:
  driver = manualroute
  route_list = * 127.0.0.1
  self = send
  transport = forward_smtp
  no_more
.endif

quarantine:
  driver = accept
  domains = +local_domains
  condition = \${if eq{\$acl_m_dmarc}{quarantine}}
  transport = quarantine_box

store:
  driver = accept
  domains = +local_domains
  transport = inbox

begin transports

.ifdef FORWARD_PORT
forward_smtp:
  driver = smtp
  port = FORWARD_PORT
  allow_localhost
  hosts_try_chunking =
  .ifdef ARC_SEAL
  headers_add = \${if eq{\${dlfunc{MAILAUTH}{config}{TEST_CONF_FILE}}}{ok}{\${dlfunc{MAILAUTH}{arc_seal}}}}
  .endif
.endif

inbox:
  driver = appendfile
  directory = $d/mail/inbox
  maildir_format
  user = Debian-exim
  group = Debian-exim
  mode = 0644

quarantine_box:
  driver = appendfile
  directory = $d/mail/quarantine
  maildir_format
  user = Debian-exim
  group = Debian-exim
  mode = 0644

begin retry

*  *  F,1h,1m
CONF
}

# mta_mailauth NAME ZONE [EXTRA-LINES]: $T/NAME/mailauth.conf using ZONE.
mta_mailauth() {
	{
		echo "resolver = zone:$2"
		echo "dns_timeout = ${DNS_TIMEOUT:-2s}"
		[ $# -gt 2 ] && printf '%s\n' "$3"
	} >"$T/$1/mailauth.conf"
}

# mta_start NAME: run server NAME as a daemon on a free 127.0.0.1 port;
# the port is printed to $T/NAME/port and set as MTA_PORT.  Stopped at exit.
mta_start() {
	d="$T/$1"
	MTA_PORT=$(free_port)
	echo "$MTA_PORT" >"$d/port"
	rm -f "$d/exim.pid"
	"$EXIM" -C "$d/exim.conf" -bd -oX "127.0.0.1.$MTA_PORT" -oP "$d/exim.pid"
	at_exit "mta_stop $1"
	i=0
	while [ $i -lt 50 ]; do
		if "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $MTA_PORT), 1)" 2>/dev/null; then
			return 0
		fi
		sleep 0.1; i=$((i + 1))
	done
	bad "server $1 did not start on 127.0.0.1:$MTA_PORT"
	return 1
}

# mta_stop NAME: stop server NAME's daemon (if it runs).
mta_stop() {
	d="$T/$1"
	if [ -s "$d/exim.pid" ]; then
		pid=$(cat "$d/exim.pid")
		kill "$pid" 2>/dev/null
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		rm -f "$d/exim.pid"
	fi
}

# mta_run_queue NAME: one delivery attempt for everything queued on server
# NAME (exim -qff returns when the attempts are over).  Exim's remarks on
# standard error (a bounce sent by a -C process loses privilege) go to
# $T/NAME/qff.err.
mta_run_queue() {
	"$EXIM" -C "$T/$1/exim.conf" -qff 2>>"$T/$1/qff.err"
}

# mta_queue_count NAME: messages on server NAME's queue.
mta_queue_count() {
	"$EXIM" -C "$T/$1/exim.conf" -bpc 2>/dev/null
}

# mta_result NAME ID KEY: KEY from the TEST-RESULT line of message ID.
mta_result() {
	grep " TEST-RESULT id=$2 " "$T/$1/log/mainlog" | head -n 1 | sed -E "s/.* $3=([^ ]*).*/\\1/;t;d"
}

# mta_fields NAME ID: the fields text logged for message ID.
mta_fields() {
	grep " TEST-FIELDS id=$2 " "$T/$1/log/mainlog" | head -n 1 | sed -E "s/.* TEST-FIELDS id=$2 //"
}

# mta_file NAME BOX ID: the maildir file of message ID (Exim id in its
# Received field) in server NAME's BOX (inbox or quarantine).
mta_file() {
	[ -d "$T/$1/mail/$2" ] || return 0
	grep -rl -- "id $3" "$T/$1/mail/$2" 2>/dev/null | head -n 1
}

# sign_message IN OUT KEY-NAME SELECTOR DOMAIN: DKIM-sign IN with
# $T/keys/KEY-NAME.pem.
sign_message() {
	"$PY" "$MAILTOOL" sign "$T/keys/$3.pem" "$4" "$5" "$1" "$2"
}

# new_key KEY-NAME SELECTOR DOMAIN ZONE: a new RSA key $T/keys/KEY-NAME.pem,
# published in ZONE.
new_key() {
	mkdir -p "$T/keys"
	"$PY" "$MAILTOOL" keygen "$T/keys/$1.pem" "$2" "$3" >>"$4"
	chmod 0644 "$T/keys/$1.pem"
}

# accepted_id OUTPUT-FILE [N]: the id of the Nth "accepted ID" line of
# smtp_client.py's output.
accepted_id() {
	sed -nE 's/^accepted (.+)/\1/p' "$1" | sed -n "${2:-1}p"
}
