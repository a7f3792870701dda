/* hist.h — the DMARC history file: one record per evaluated message, the raw
 * material of aggregate reports (RFC 9990).
 *
 * The file format is OpenDMARC's history format, field for field, so
 * OpenDMARC's opendmarc-import (and Exim's own history writer, which emits
 * the same format) stay interchangeable with ours.  doc-snippets/
 * history-format.md documents it for administrators.  In short, a record is
 * a block of "key value" lines:
 *
 *     (empty line)
 *     job <message id>
 *     reporter <our host name>
 *     received <arrival, seconds since the epoch>
 *     ipaddr <SMTP client address>
 *     from <RFC5322.From domain>
 *     mfrom <RFC5321.MailFrom domain, empty for the null sender>
 *     spf <ARES code>                          (absent: SPF not evaluated)
 *     dkim <d=> <s=> <ARES code>               (one per signature)
 *     pdomain <policy domain>
 *     policy <14 absent, 15 pass, 16 reject, 17 quarantine, 18 none>
 *     rua <URI> ... | rua -
 *     pct <0..100>
 *     adkim <114 'r' | 115 's'>
 *     aspf <114 'r' | 115 's'>
 *     p <0 | 110 'n' | 113 'q' | 114 'r'>
 *     sp <same codes>
 *     align_dkim <4 aligned pass | 5 not>
 *     align_spf <4 | 5>
 *     arc <ARES code>
 *     arc_policy <0 pass | 1 unused | 2 fail> json:[{"i":1,"d":"..","s":".."}]
 *     action <0 reject | 1 discard | 2 accept | 3 tempfail | 4 quarantine>
 *
 * ARES codes are OpenDMARC's (opendmarc-ar.h): 0 pass, 2 softfail,
 * 3 neutral, 4 temperror, 5 permerror, 6 none, 7 fail, 8 policy, -1 not
 * evaluated.  What OpenDMARC's format cannot express (np=, t=, fo=, ri=,
 * the discovery method, the DMARC result, the RFC 9990 disposition,
 * override reasons, the SPF domain and scope, human-readable results) is
 * appended to the line it belongs to as "name=value" tokens after the
 * fields OpenDMARC defines.  opendmarc-import reads only the first two
 * (for dkim lines the first four) space-separated fields of a line, so it
 * ignores them silently, whereas an unknown key would make it complain on
 * every line.
 *
 * Writing: hist_append_fd() formats the whole record into one buffer and
 * hands it to the kernel in a single write() on an O_APPEND descriptor, so
 * records of concurrent Exim processes never interleave.  Each record
 * starts with an empty line: should a write ever be cut short (disk full),
 * the torn fragment is ended there and the next record still begins at a
 * line start.
 *
 * Reading: hist_parse_next() returns complete records only (a record is
 * complete when its "action" line has arrived with its newline).  A
 * truncated record at the end is reported as incomplete and left for a
 * later read; fragments in the middle of a file are skipped as damaged.
 *
 * Values: fields OpenDMARC defines are written as they are, except that any
 * byte outside 0x21..0x7e (a space or a line break could break the line
 * structure) is written as %XX; the reader takes them literally.  Our
 * name=value extensions are percent-encoded both ways and round-trip
 * exactly.  Inputs are hostile: the parser is bounded by
 * HIST_MAX_RECORD_BYTES per record and never reads past its slice.
 *
 * Ownership: slices in a struct hist_record filled by the caller belong to
 * the caller; hist_parse_next() fills them with slices into its text or
 * into the arena it was given.
 */
#ifndef MAILAUTH_HIST_H
#define MAILAUTH_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "mailauth_limits.h"
#include "slice.h"

/* Operational return codes (int); never verdicts. */
#define HIST_OK          0
#define HIST_E_NOMEM   (-1)
#define HIST_E_IO      (-2)  /* open/write failed, or a short write */
#define HIST_E_TOO_BIG (-3)  /* the record would exceed HIST_MAX_RECORD_BYTES */

/* An authentication result in RFC 8601 2.7 words (SPF, DKIM, ARC). */
enum hist_auth {
	HIST_AUTH_UNSET,     /* not evaluated (SPF: no spf line / ARES -1) */
	HIST_AUTH_NONE,
	HIST_AUTH_PASS,
	HIST_AUTH_FAIL,
	HIST_AUTH_SOFTFAIL,  /* SPF only */
	HIST_AUTH_NEUTRAL,
	HIST_AUTH_POLICY,
	HIST_AUTH_TEMPERROR,
	HIST_AUTH_PERMERROR,
};

/* A p=, sp= or np= value; UNSPECIFIED when the tag is absent or invalid. */
enum hist_policy {
	HIST_POLICY_UNSPECIFIED,
	HIST_POLICY_NONE,
	HIST_POLICY_QUARANTINE,
	HIST_POLICY_REJECT,
};

/* The DMARC verdict (RFC 9989 9.2 words). */
enum hist_result {
	HIST_RESULT_NONE,      /* no policy record */
	HIST_RESULT_PASS,
	HIST_RESULT_FAIL,
	HIST_RESULT_TEMPERROR,
	HIST_RESULT_PERMERROR,
};

/* RFC 9990 ActionDispositionType: what was done with the message. */
enum hist_disposition {
	HIST_DISP_NONE,       /* no action taken */
	HIST_DISP_PASS,       /* no action: passed DMARC under an enforcing policy */
	HIST_DISP_QUARANTINE,
	HIST_DISP_REJECT,
};

/* Why the requested policy was not applied (RFC 9990 PolicyOverrideType;
 * SAMPLED_OUT is RFC 7489's and is reported as "other"). */
enum hist_override_type {
	HIST_OVERRIDE_LOCAL_POLICY,
	HIST_OVERRIDE_MAILING_LIST,
	HIST_OVERRIDE_OTHER,
	HIST_OVERRIDE_POLICY_TEST_MODE,
	HIST_OVERRIDE_TRUSTED_FORWARDER,
	HIST_OVERRIDE_SAMPLED_OUT,
};

/* How the policy record was found (RFC 9990 DiscoveryType). */
enum hist_discovery {
	HIST_DISCOVERY_UNKNOWN,  /* not recorded (a foreign writer) */
	HIST_DISCOVERY_PSL,      /* RFC 7489 compatibility mode */
	HIST_DISCOVERY_TREEWALK, /* RFC 9989 */
};

enum hist_spf_scope { HIST_SPF_MFROM, HIST_SPF_HELO };

struct hist_dkim {
	struct slice domain;   /* d= */
	struct slice selector; /* s= */
	enum hist_auth result;
	struct slice human;    /* optional text for human_result; may be empty */
};

struct hist_override {
	enum hist_override_type type;
	struct slice comment;  /* may be empty */
};

/* One ARC set (for OpenDMARC's arc_policy json). */
struct hist_arc_set {
	unsigned instance;     /* i= */
	struct slice domain;   /* the ARC-Seal d= */
	struct slice selector; /* the ARC-Seal s= */
	struct slice ip;       /* smtp.remote-ip of its ARC-Authentication-Results, or empty */
};

/* One message.  Fill it with hist_record_init() first; the defaults are what
 * a record without the field means. */
struct hist_record {
	struct slice job;          /* Exim message id */
	struct slice reporter;     /* our host name (primary_hostname) */
	int64_t received;          /* arrival time, seconds since the epoch */
	struct slice ipaddr;       /* the SMTP client's address as text */
	struct slice from_domain;  /* RFC5322.From domain (the Author Domain), lower case */
	struct slice mfrom_domain; /* RFC5321.MailFrom domain; empty for the null sender */

	enum hist_auth spf;        /* HIST_AUTH_UNSET: SPF not evaluated */
	struct slice spf_domain;   /* the domain SPF checked (MAIL FROM domain, or HELO) */
	enum hist_spf_scope spf_scope;
	struct slice spf_human;    /* optional human_result */

	const struct hist_dkim *dkim; /* every signature evaluated */
	size_t n_dkim;

	struct slice pdomain;      /* the policy domain (where the DMARC record is) */
	enum hist_result result;   /* the DMARC verdict */
	const struct slice *rua;   /* rua= URIs as in the record, "!size" suffix kept */
	size_t n_rua;
	unsigned pct;              /* 0..100, default 100 */
	bool adkim_strict, aspf_strict;
	enum hist_policy p, sp, np;        /* as published; UNSPECIFIED when absent */
	enum hist_policy requested;        /* the policy that applied (p, sp or np) */
	bool testing;                      /* t=y */
	enum hist_discovery discovery;
	struct slice fo;                   /* fo= text as published, or empty */
	uint32_t ri;                       /* ri= (RFC 7489), 0 when absent */
	bool align_dkim, align_spf;        /* an aligned pass of each method */

	enum hist_auth arc;                /* ARC chain validation: UNSET/NONE/PASS/FAIL */
	const struct hist_arc_set *arc_sets;
	size_t n_arc_sets;
	bool arc_override;                 /* the trusted-ARC-sealer override applied */

	enum hist_disposition disposition; /* what was done (RFC 9990 words) */
	const struct hist_override *overrides;
	size_t n_overrides;
	/* The message is itself a DMARC aggregate report (hist_subject_is_report):
	 * such records are never reported about, so two reporters cannot keep
	 * sending each other reports about their reports. */
	bool is_report;
};

/* Defaults: everything empty or zero, spf UNSET, pct 100, arc NONE,
 * disposition NONE, result NONE, discovery UNKNOWN. */
void hist_record_init(struct hist_record *r);

/* The disposition RFC 9990 reports for a message: PASS when it passed DMARC
 * and the requested policy was quarantine or reject; NONE when it passed
 * under p=none or no policy applied; otherwise the policy actually applied
 * (after t=, pct= and local overrides). */
enum hist_disposition hist_disposition_for(enum hist_result result, enum hist_policy requested,
                                           enum hist_policy applied);

/* True when a Subject field value is that of a DMARC aggregate report
 * ("Report Domain: ... Submitter: ...", RFC 9990 / RFC 7489 12.2.4): the
 * caller sets hist_record.is_report from it. */
bool hist_subject_is_report(struct slice subject);

/* Append the record's text (one complete block) to b.  Returns HIST_OK,
 * HIST_E_NOMEM, or HIST_E_TOO_BIG when it would exceed
 * HIST_MAX_RECORD_BYTES. */
int hist_format(const struct hist_record *r, struct buf *b);

/* Format the record and write it with a single write() to fd, which must
 * have been opened with O_APPEND.  A write interrupted before it wrote
 * anything is repeated; a short write is HIST_E_IO (the record is torn and
 * the reader will skip it).  Scratch memory comes from a. */
int hist_append_fd(int fd, const struct hist_record *r, struct arena *a);

/* Open path (O_WRONLY|O_APPEND|O_CREAT, mode 0640), append, close.  On
 * HIST_E_IO err (errlen bytes) says what failed, with strerror(). */
int hist_append_path(const char *path, const struct hist_record *r, struct arena *a, char *err,
                     size_t errlen);

enum hist_parse_status {
	HIST_PARSE_RECORD,     /* *out holds a record; *pos is after it */
	HIST_PARSE_END,        /* nothing but blank lines left; *pos = text.len */
	HIST_PARSE_INCOMPLETE, /* text ends inside a record; *pos is at its start */
	HIST_PARSE_DAMAGED,    /* *pos moved past a fragment that is no record */
	HIST_PARSE_NOMEM,
};

/* Parse the next record of text from *pos.  On HIST_PARSE_RECORD, *start
 * (may be NULL) is the offset of the record's "job" line.  Arrays and
 * decoded values live in a; other slices point into text.  Unknown keys
 * and unknown name=value tokens are ignored; a record without a "job",
 * a "received" or an "action" line is damaged. */
enum hist_parse_status hist_parse_next(struct arena *a, struct slice text, size_t *pos,
                                       struct hist_record *out, size_t *start);

/* Words for logs and reports. */
const char *hist_auth_str(enum hist_auth a);           /* "pass", ...; "" for UNSET */
const char *hist_policy_str(enum hist_policy p);       /* "none", ...; "" for UNSPECIFIED */
const char *hist_result_str(enum hist_result r);
const char *hist_disposition_str(enum hist_disposition d);
const char *hist_override_str(enum hist_override_type t); /* "local_policy", ... */
const char *hist_discovery_str(enum hist_discovery d);    /* "psl", "treewalk", "" */

#endif
