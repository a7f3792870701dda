/* mailauth_limits.h — every processing limit of exim-mailauth, in one place.
 *
 * A limit taken from an RFC gives the RFC's result when exceeded; a local
 * limit (marked "local") bounds time or memory on hostile input, is logged by
 * its name when hit, and gives the result its comment says.  The README's
 * "Limits" section lists the same names.
 */
#ifndef MAILAUTH_LIMITS_H
#define MAILAUTH_LIMITS_H

/* ---- memory ---- */
/* local: bytes one evaluation (one message) may allocate from its arena. */
#define ARENA_DEFAULT_CAP        (256u * 1024 * 1024)

/* ---- message model (RFC 5322) ---- */
/* local: total bytes of the header section accepted for evaluation (every
 * field line with its line end; the blank separator line not counted).
 * Above it msg_parse/msg_add_header give MSG_E_HEADER_TOO_BIG. */
#define MSG_MAX_HEADER_BYTES     (4u * 1024 * 1024)
/* local: number of header fields (malformed lines included); more gives
 * MSG_E_TOO_MANY_HEADERS. */
#define MSG_MAX_HEADERS          5000
/* RFC 5322 2.1.1 allows 998 octets a line; hostile lines are far longer.
 * local: a single physical header line (its CRLF/LF not counted) above this
 * gives MSG_E_LINE_TOO_LONG (we still never read past it).  Body lines are
 * not limited: DKIM hashes them as a stream. */
#define MSG_MAX_LINE_BYTES       (1024u * 1024)
/* local: nesting depth of comments in addresses (RFC 5322 3.2.2 CFWS). */
#define MSG_MAX_COMMENT_DEPTH    32
/* local: addresses in one From field before we stop collecting them. */
#define MSG_MAX_FROM_ADDRESSES   100

/* ---- domain names ---- */
/* RFC 1035 2.3.4 / RFC 5321 4.5.3.1.2: 255 octets on the wire is at most 253
 * octets in text form without the trailing dot. */
#define DOMAIN_MAX_TEXT_NAME     253
/* local: bytes of a (possibly Unicode) domain handed to IDNA processing; a
 * name of 253 A-label octets needs far fewer UTF-8 bytes than this, so a
 * longer input cannot normalize to a valid name except through characters
 * TR46 maps to nothing, which we refuse rather than process unbounded. */
#define DOMAIN_MAX_INPUT_BYTES   1024

/* ---- tag lists (RFC 6376 3.2) ---- */
/* local: tags in one tag list (DKIM-Signature, key record, DMARC record,
 * ARC headers); more gives TAG_E_LIMIT.  RFC 6376 3.5 defines 14 signature
 * tags, so 64 leaves room for extensions and unknown tags. */
#define TAG_MAX_TAGS             64

/* ---- DNS ---- */
/* local: default wall-clock budget for one evaluation's DNS, milliseconds. */
#define DNS_DEFAULT_BUDGET_MS    20000
/* local: answers (RRs) kept from one RRset. */
#define DNS_MAX_RRS              64
/* RFC 1035 2.3.4: a domain name is at most 255 octets, a label 63. */
#define DNS_MAX_NAME             255
#define DNS_MAX_LABEL            63
/* local: queries one batch may hold. */
#define DNS_MAX_BATCH            128
/* local: CNAMEs followed for one query when the resolver hands back only the
 * alias (unbound does so for its own local-data); beyond it: SERVFAIL. */
#define DNS_MAX_CNAME_CHAIN      8
/* RFC 1035 3.3: a <character-string> is at most 255 octets. */
#define DNS_MAX_CHARSTRING       255
/* RFC 1035 3.2.1: RDLENGTH is 16 bits. */
#define DNS_MAX_RDATA            65535
/* RFC 2181 8: a TTL is an unsigned 31-bit number. */
#define DNS_MAX_TTL              2147483647u
/* local: bytes of a zone file (resolver spec zone:) read at all. */
#define DNS_ZONE_MAX_BYTES       (64u * 1024 * 1024)
/* local: bytes of an offending zone-file token quoted in an error message. */
#define DNS_ZONE_SHOW_MAX        40
/* local: bytes of libunbound's why_bogus text kept in an answer's reason. */
#define DNS_MAX_WHY              256

/* ---- SPF (RFC 7208) ---- */
#define SPF_MAX_DNS_TERMS        10   /* RFC 7208 4.6.4 */
#define SPF_MAX_VOID_LOOKUPS     2    /* RFC 7208 4.6.4 */
#define SPF_MAX_MX_NAMES         10   /* RFC 7208 4.6.4 */
#define SPF_MAX_PTR_NAMES        10   /* RFC 7208 4.6.4 */
/* RFC 7208 4.6.4 suggests at least 20 s for the whole check_host(). */
#define SPF_DEFAULT_BUDGET_MS    20000
/* local: bytes one macro expansion may produce (RFC 7208 7.3 bounds domain
 * names to 253; explanations are allowed more). */
#define SPF_MAX_EXPANSION        4096
/* local: bytes of one SPF record.  RFC 7208 3.4 asks publishers to stay
 * below 450 bytes; a longer record is permerror. */
#define SPF_MAX_RECORD_BYTES     8192
/* local: bytes of the HELO name or the MAIL FROM address accepted as an SPF
 * identity (RFC 5321 4.5.3.1 allows 255 for a domain and 256 for a path);
 * a longer identity gives "none" (no valid identity to check). */
#define SPF_MAX_IDENTITY_BYTES   1024

/* ---- DKIM (RFC 6376, RFC 8301, RFC 8463) ---- */
#define DKIM_MAX_SIGS            10    /* local: bounds verify cost per message */
#define DKIM_MIN_RSA_BITS        1024  /* RFC 8301 3.2 */
#define DKIM_MAX_RSA_BITS        8192  /* local: larger keys are refused unused */
/* local: public exponents above 64 bits are refused (pubkey_too_long):
 * verification time grows with the exponent's length, and 65537 (17 bits)
 * is what every signer uses.  OpenSSL applies the same 64-bit cap to RSA
 * keys over 3072 bits; this extends it to all sizes. */
#define DKIM_MAX_RSA_EXPONENT_BITS 64
/* local: names in one h= list. */
#define DKIM_MAX_SIGNED_HEADERS  256
/* local: bytes of a decoded p= key.  An RSA SubjectPublicKeyInfo of
 * DKIM_MAX_RSA_BITS with a 64-bit exponent is about 1.1 KB; anything larger
 * is refused before it is parsed. */
#define DKIM_MAX_KEY_DER_BYTES   (DKIM_MAX_RSA_BITS / 8 + 1024)
/* local: decoded keys a process keeps (dkim_key_cache), oldest evicted. */
#define DKIM_KEY_CACHE_ENTRIES   256
/* local: bytes of one p= text (or key record) the key cache keeps a copy of. */
#define DKIM_KEY_CACHE_MAX_TEXT  4096
/* local: seconds a usable key record found in DNS is reused without asking
 * again (the DNS layer does not report TTLs).  Short, so a rotated or
 * revoked key is seen soon; failures are never cached. */
#define DKIM_KEY_CACHE_SECONDS   60

/* ---- DMARC (RFC 9989) ---- */
/* RFC 9989 4.10: the tree walk starts at most this many labels deep. */
#define DMARC_TREEWALK_MAX_LABELS 8
/* local: Author Domains evaluated for a message with several From
 * addresses (RFC 9989 11.5 asks for a limit; beyond it the evaluation is
 * incomplete and the message is treated as with dmarc_multiple_from=reject). */
#define DMARC_MAX_AUTHOR_DOMAINS  8
/* local: valid URIs kept from one rua= or ruf= list; the rest are ignored. */
#define DMARC_MAX_REPORT_URIS     16
/* local: distinct _dmarc names and existence tests one evaluation may look
 * up: a walk and an existence test for each Author Domain, a walk for the
 * SPF domain and for each DKIM domain.  Beyond it a lookup counts as a
 * temporary failure (never as "no record"). */
#define DMARC_MAX_LOOKUPS         ((DMARC_TREEWALK_MAX_LABELS + 1) * \
                                   (DMARC_MAX_AUTHOR_DOMAINS + DKIM_MAX_SIGS + 1))

/* ---- Authentication-Results (RFC 8601) ---- */
/* RFC 5322 2.1.1: lines SHOULD be at most 78 characters; we fold there. */
#define AR_FOLD_WIDTH             78
/* local: bytes of one comment or reason= text (longer text is cut, with
 * "..." appended). */
#define AR_MAX_TEXT               256
/* local: bytes of one whole Authentication-Results field. */
#define AR_MAX_HEADER_BYTES       (64u * 1024)

/* ---- ARC (RFC 8617) ---- */
#define ARC_MAX_INSTANCES        50    /* RFC 8617 4.2.1 */
/* local: signatures (AMS + AS) verified per message.  A chain of
 * ARC_MAX_INSTANCES sets needs at most 2 * 50; beyond the budget a required
 * signature counts as failed (the chain fails, reason names the limit) and
 * the oldest-pass walk stops. */
#define ARC_MAX_VERIFY           120
/* local: header bytes canonicalized and hashed for ARC signatures per
 * message (each AS hashes every earlier set; a real 50-set chain hashes a
 * few MB).  Beyond it the signature being checked counts as failed. */
#define ARC_MAX_HASH_BYTES       (64u * 1024 * 1024)
/* local: distinct body hashes (canonicalization, l=) computed for the AMSs
 * of one message; an AMS that needs another one counts as failed. */
#define ARC_MAX_BODY_HASHES      4

/* ---- configuration file (mailauth.conf) ---- */
/* local: the least DNS time each stage of an evaluation (SPF, then DKIM and
 * ARC keys in one batch, then DMARC discovery) gets, even when an earlier
 * stage used up the budget waiting for a name that never answers: answers
 * that need a round trip or two still arrive, so one dead name cannot turn
 * independent results into temperror.  An evaluation thus takes at most the
 * budget (dns_timeout) plus twice this. */
#define EVAL_STAGE_MIN_BUDGET_MS 2000

/* local: the ARC private key file (PEM) eval_seal.c reads.  A PEM key is a
 * few KB (an 8192-bit RSA key about 6.5 KB); a larger file is not a key. */
#define EVAL_MAX_KEY_FILE_BYTES  (64 * 1024)

/* local: bytes of mailauth.conf read; a real file is a few hundred bytes. */
#define CONFIG_MAX_FILE_BYTES    (1024u * 1024)
/* local: entries in one list option (trusted_arc_sealers, ...). */
#define CONFIG_MAX_LIST_ITEMS    1000
/* local: longest dns_timeout accepted (2 minutes); a longer DNS wait would
 * hold the SMTP client past common client timeouts for DATA. */
#define CONFIG_MAX_DNS_TIMEOUT_MS (120u * 1000)

/* ---- DMARC history and aggregate reports (RFC 9990) ---- */
/* local: bytes of one history record as written (one write()); a record
 * with DKIM_MAX_SIGS signatures, DMARC_MAX_REPORT_URIS URIs and a full ARC
 * chain stays far below.  Longer records are refused by the writer and
 * skipped as damaged by the reader. */
#define HIST_MAX_RECORD_BYTES    (64u * 1024)
/* local: bytes of one value written to a history record (a domain is at
 * most 253, a URI in practice far below); longer values are cut.  Free
 * text (human_result, override comments) is cut at AR_MAX_TEXT. */
#define HIST_MAX_FIELD_BYTES     1024
/* RFC 9990 "DKIM Signatures in Aggregate Reports": a row SHOULD carry no
 * more than 100 signatures; the reader keeps at most this many per record. */
#define HIST_MAX_DKIM            100
/* local: rua URIs kept per record (as many as a policy record may give). */
#define HIST_MAX_RUA             DMARC_MAX_REPORT_URIS
/* local: policy override reasons kept per record. */
#define HIST_MAX_OVERRIDES       8
/* RFC 8617 4.2.1: ARC sets kept per record. */
#define HIST_MAX_ARC             ARC_MAX_INSTANCES
/* local: bytes read from a history file at a time by the report tool. */
#define HIST_READ_CHUNK          (1024u * 1024)
/* RFC 9990 "Aggregate Reports": reports are daily by default. */
#define REPORT_DEFAULT_INTERVAL  86400
/* local: the shortest reporting interval honoured for an RFC 7489 ri= tag
 * (RFC 7489 7.2: receivers should be able to report hourly). */
#define REPORT_MIN_INTERVAL      3600
/* local: DNS budget of one external-destination check, milliseconds. */
#define REPORT_DNS_TIMEOUT_MS    10000
/* local: days a state entry for a history file that was not seen again is
 * kept (a rotated file may be passed a few runs later). */
#define REPORT_STATE_KEEP_DAYS   60
/* local: bytes of the report tool's configuration and state files. */
#define REPORT_MAX_CONF_BYTES    (1024u * 1024)
#define REPORT_MAX_STATE_BYTES   (16u * 1024 * 1024)
/* local: distinct rows (aggregation keys) in one run; beyond it the run
 * stops with an error rather than growing without bound. */
#define REPORT_MAX_ROWS          (4u * 1024 * 1024)
/* local: bytes of report_org_name and report_extra_contact_info (free text
 * copied into every report's metadata). */
#define REPORT_MAX_META_BYTES    1000
/* RFC 5321 4.5.3.1.1: a local part of at most 64 octets; 4.5.3.1.3: a path
 * of 256 octets with its angle brackets, so an address of at most 254. */
#define REPORT_MAX_LOCAL_PART    64
#define REPORT_MAX_ADDRESS       254
/* local: words of the report_sendmail command line. */
#define REPORT_MAX_COMMAND_WORDS 32

/* DMARC failure reports (RFC 9991, RFC 6591 format). */
/* local: bytes of one spool file written at verify time (metadata and the
 * message's header section); headers past it are left out and the file
 * says so.  RFC 6591 3.1 allows the header section alone (text/rfc822-headers). */
#define FAILURE_MAX_SPOOL_BYTES  (256u * 1024)
/* RFC 5322 2.1.1: a line is at most 998 characters; a report field value
 * (Authentication-Results, Original-Mail-From, ...) is cut to this many bytes
 * so "Name: value" stays within it unfolded. */
#define FAILURE_MAX_FIELD_BYTES  900
/* local: tries to find an unused spool file name (O_EXCL) before giving up. */
#define FAILURE_MAX_NAME_TRIES   16
/* local: the highest failure_report_rate (reports per policy domain per hour). */
#define FAILURE_MAX_RATE         10000
/* local: default failure_report_rate. */
#define FAILURE_DEFAULT_RATE     10
/* local: policy domains tracked in the rate-limit state file. */
#define FAILURE_MAX_RATE_DOMAINS 100000
/* local: bytes of the rate-limit state file. */
#define FAILURE_MAX_RATE_BYTES   (8u * 1024 * 1024)
/* local: spool files one mailauth-report run handles; the rest wait. */
#define FAILURE_MAX_FILES_PER_RUN 100000
/* local: seconds a spool file whose report could not be sent (DNS trouble,
 * submission failure) is kept for retries; RFC 9991 wants failure reports
 * sent promptly, an old one is dropped. */
#define FAILURE_MAX_AGE          86400

#endif
