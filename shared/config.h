/* config.h — the configuration file of exim-mailauth (mailauth.conf).
 *
 * Shared by the Exim module (glue/) and the command-line tools, so both read
 * the same file the same way.  Pure C: no Exim header, no MTA state.
 *
 * Syntax, one setting per line:
 *     name = value
 * Blank lines and lines whose first non-blank byte is '#' are ignored (as in
 * Exim's own configuration, a '#' later in a line is part of the value).  The
 * value is the rest of the line with surrounding blanks removed; a CR before
 * the LF is ignored.  Every option may appear once; an unknown name, a
 * missing '=', an empty or malformed value, an option given twice and a NUL
 * byte are errors.  Error messages read "SOURCE:LINE: what is wrong", with
 * the offending text quoted (non-printable bytes escaped, long text cut).
 *
 * The options, their defaults and their ranges are documented for
 * administrators in module/conf/mailauth.conf.example; the table in
 * config.c is the single source of truth and config_format() prints it.
 *
 * Ownership: a struct config owns an arena holding every string and list in
 * it; config_free() releases all of it.
 */
#ifndef MAILAUTH_CONFIG_H
#define MAILAUTH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "slice.h"

/* Where the Exim module looks when no `config` call chose another file. */
#define CONFIG_DEFAULT_PATH "/etc/exim4/mailauth.conf"

/* How mailauth-report submits reports unless report_sendmail says otherwise:
 * Exim's sendmail interface, recipients taken from the To: field. */
#define CONFIG_DEFAULT_SENDMAIL "/usr/sbin/sendmail -t"

enum config_status {
	CONFIG_OK,
	CONFIG_E_SYNTAX,  /* the text is not a valid configuration */
	CONFIG_E_IO,      /* the file could not be read (missing, unreadable, too big) */
	CONFIG_E_NOMEM,
};

/* dmarc_mode: which DMARC specification decides the organizational domain
 * and the policy discovery. */
enum config_dmarc_mode {
	CONFIG_DMARC_RFC9989, /* DNS tree walk, psd=, np= (default) */
	CONFIG_DMARC_RFC7489, /* public suffix list (compatibility) */
};

/* dmarc_multiple_from: a From field with several author domains. */
enum config_multiple_from {
	CONFIG_MULTIPLE_FROM_STRICTEST, /* evaluate every domain, keep the strictest (default) */
	CONFIG_MULTIPLE_FROM_REJECT,    /* such a message gets dmarc_status reject */
};

/* What local_scan() does with a message in a given state. */
enum config_action {
	CONFIG_ACTION_ACCEPT, /* deliver as usual (default) */
	CONFIG_ACTION_FREEZE, /* accept and freeze it for the administrator */
	CONFIG_ACTION_DEFER,  /* temporary rejection (4xx) */
	CONFIG_ACTION_REJECT, /* permanent rejection (5xx) */
};

/* failure_report_redact: what is hidden in failure reports (RFC 6590). */
enum config_redact {
	CONFIG_REDACT_LOCALPART, /* local parts of addresses replaced (default) */
	CONFIG_REDACT_NONE,      /* header fields as received */
};

/* A list of names (domains), lower-case A-labels. */
struct config_list {
	const struct slice *item;
	size_t n;
};

/* An address block: family 4 or 6, the address in network order (4 or 16
 * bytes used) with the host bits cleared, and the prefix length. */
struct config_net {
	int family;
	unsigned char addr[16];
	unsigned prefix;
};

struct config_nets {
	const struct config_net *net;
	size_t n;
};

struct config {
	struct arena *arena;
	const char *source;          /* file name, or "(defaults)" */

	const char *authserv_id;     /* NULL: the front end's default (Exim: primary_hostname) */
	const char *resolver;        /* dns.h specification; default "system" */
	uint64_t dns_timeout_ms;     /* DNS budget of one evaluation */

	unsigned dkim_max_signatures;/* 1 .. DKIM_MAX_SIGS */
	unsigned dkim_min_rsa_bits;  /* DKIM_MIN_RSA_BITS .. DKIM_MAX_RSA_BITS */
	unsigned arc_max_verify;     /* 1 .. ARC_MAX_VERIFY */

	enum config_dmarc_mode dmarc_mode;
	enum config_multiple_from dmarc_multiple_from;
	struct config_list trusted_arc_sealers; /* ARC sealers whose results we accept */
	struct config_nets trusted_forwarders;  /* hosts that forward mail to us */
	struct config_list mailing_lists;       /* list domains we receive from */

	const char *arc_selector;    /* ARC sealing: all three or none */
	const char *arc_domain;
	const char *arc_key;         /* path of the PEM private key */

	const char *history_file;    /* DMARC history; NULL: none written */
	bool log_results;            /* one main-log line per verified message */

	bool local_scan_authres;     /* local_scan() adds Authentication-Results */
	enum config_action local_scan_dmarc_reject;     /* dmarc_status = reject */
	enum config_action local_scan_dmarc_quarantine; /* dmarc_status = quarantine */
	enum config_action local_scan_temperror;        /* dmarc_status = temperror */

	/* DMARC aggregate reports (mailauth-report; the module ignores these). */
	const char *report_org_name;      /* report_metadata org_name; NULL: unset */
	const char *report_email;         /* report_metadata email, the From: of reports */
	const char *report_extra_contact_info; /* optional */
	const char *report_submitter;     /* the receiver's domain (Submitter:, file
	                                     names); NULL: the domain of report_email */
	const char *report_state_file;    /* what has been reported; NULL: unset */
	const char *report_sendmail;      /* submission command; NULL: CONFIG_DEFAULT_SENDMAIL */
	bool report_enable;               /* the scheduled report job (the Debian
	                                     package's daily timer/cron) runs
	                                     mailauth-report only when true;
	                                     default false */

	/* DMARC failure reports (ruf=; RFC 9991 in the RFC 6591 format).  The
	 * module writes one spool file per qualifying message into
	 * failure_report_dir; mailauth-report --failure-reports sends them. */
	bool failure_reports;             /* default false: nothing written */
	const char *failure_report_dir;   /* spool directory; required with failure_reports */
	enum config_redact failure_report_redact; /* default CONFIG_REDACT_LOCALPART */
	unsigned failure_report_rate;     /* reports per policy domain and hour,
	                                     1 .. FAILURE_MAX_RATE; default
	                                     FAILURE_DEFAULT_RATE */
};

/* A configuration with every default.  NULL when out of memory. */
struct config *config_defaults(void);

/* Parse text (the contents of a file named source, used in messages).  On
 * success *out is a new configuration and CONFIG_OK is returned; otherwise
 * *out is NULL and err (errlen bytes, NUL-terminated) says
 * "SOURCE:LINE: problem". */
enum config_status config_parse(struct config **out, const char *source, struct slice text,
                                char *err, size_t errlen);

/* Read and parse a file.  When the file does not exist and missing_ok is
 * true, the result is config_defaults() with CONFIG_OK (a missing default
 * file is not an error).  A file larger than CONFIG_MAX_FILE_BYTES, a
 * directory or an unreadable file is CONFIG_E_IO. */
enum config_status config_load(struct config **out, const char *path, bool missing_ok,
                               char *err, size_t errlen);

void config_free(struct config *c);

/* Every setting, defaults included, as "name = value" lines that
 * config_parse() accepts again (unset optional strings are left out). */
void config_format(const struct config *c, struct buf *out);

/* True when ip (IPv4 or IPv6 text; IPv4-mapped IPv6 counts as IPv4) lies in
 * one of nets.  False for text that is not an address. */
bool config_nets_contain(const struct config_nets *nets, struct slice ip);

/* True when name (compared as a domain, ASCII case-insensitive, one trailing
 * dot ignored) is one of the list's names. */
bool config_list_contains(const struct config_list *l, struct slice name);

#endif
