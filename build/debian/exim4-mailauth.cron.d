# /etc/cron.d/exim4-mailauth: the daily DMARC aggregate report job on
# systems without systemd (where systemd runs, exim4-mailauth-report.timer
# does it).  Nothing is sent unless mailauth.conf has report_enable = yes.
SHELL=/bin/sh
PATH=/usr/sbin:/usr/bin:/sbin:/bin

17 4 * * *	Debian-exim	[ ! -d /run/systemd/system ] && [ -x /usr/libexec/exim4-mailauth/daily-report ] && /usr/libexec/exim4-mailauth/daily-report >/dev/null
