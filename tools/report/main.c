/* mailauth-report — DMARC aggregate reports (RFC 9990) from the history
 * files exim-mailauth writes.
 *
 *   mailauth-report [options] [HISTORY-FILE...]
 *
 * Reads the history files (several hosts' files may be given; default:
 * history_file of the configuration) from where the last run stopped,
 * groups the records per policy domain and reporting window (a day, or
 * the smaller ri= of an RFC 7489-mode policy), and for every window that
 * has ended builds the report (XML, gzip), checks each rua= destination
 * (external ones must authorize reports through
 * <policy-domain>._report._dmarc.<host> TXT), honours size limits, and
 * submits one message per destination through a sendmail-compatible
 * command.  What was dealt with is kept in the state file, so nothing is
 * reported twice, whatever rotation did to the files.  --dry-run sends
 * nothing and changes no state; with --out-dir the reports are written
 * there.
 *
 *   mailauth-report --failure-reports [--failure-dir DIR] [options]
 *
 * sends the DMARC failure reports (ruf=) the module spooled in
 * failure_report_dir instead (failure.h); no history file or state file is
 * read then.
 *
 * Exit status:
 *   0  every due report was sent, or not sent for a reason stated (no
 *      rua=, destination not authorized, size limit, our own address)
 *   1  some report could not be sent now (DNS trouble, the submission
 *      command failed, another run holds the lock); it is retried by the
 *      next run
 *   2  bad usage or configuration; nothing was done
 *   3  an operational failure (a history file unreadable, the state file
 *      damaged or unwritable, out of memory); the message says which
 *
 * Messages go to standard error prefixed "mailauth-report: "; with
 * --verbose (and always with --dry-run) one line per report and
 * destination goes to standard output.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "config.h"
#include "deliver.h"
#include "failure.h"
#include "dns.h"
#include "mailauth_limits.h"
#include "report_agg.h"
#include "report_dest.h"
#include "report_input.h"
#include "report_mail.h"
#include "report_state.h"
#include "report_xml.h"
#include "version.h"

#define EXIT_OK 0
#define EXIT_DEFERRED 1
#define EXIT_USAGE 2
#define EXIT_OPFAIL 3

/* local: bytes of one report's XML before compression; far above what
 * REPORT_MAX_ROWS rows of one domain make in practice, it bounds memory. */
#define REPORT_MAX_XML_BYTES (512u * 1024 * 1024)

struct opts {
	const char *config_path;
	bool config_given;
	const char *org_name, *email, *extra, *submitter, *state_path, *sendmail, *resolver;
	const char *out_dir;
	const char *failure_dir;
	bool failure_reports;
	bool dry_run, flush, verbose, quiet;
	bool now_given;
	int64_t now;
	char **files;
	size_t n_files;
};

static bool quiet_mode;

static void msg_v(const char *fmt, va_list ap)
{
	fputs("mailauth-report: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* An error: always shown. */
__attribute__((format(printf, 1, 2))) static void error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	msg_v(fmt, ap);
	va_end(ap);
}

/* A decision the administrator should know about (not with --quiet). */
__attribute__((format(printf, 1, 2))) static void notice(const char *fmt, ...)
{
	if (quiet_mode)
		return;
	va_list ap;
	va_start(ap, fmt);
	msg_v(fmt, ap);
	va_end(ap);
}

static void usage(FILE *f)
{
	fputs("usage: mailauth-report [options] [HISTORY-FILE...]\n"
	      "\n"
	      "Builds DMARC aggregate reports (RFC 9990) from exim-mailauth history files\n"
	      "and mails them to the rua= addresses of the policy domains.\n"
	      "\n"
	      "  --config FILE              mailauth.conf (default " CONFIG_DEFAULT_PATH ",\n"
	      "                             which may be absent)\n"
	      "  --org-name TEXT            report_org_name: the reporting organization\n"
	      "  --email ADDR               report_email: From: of reports, contact address\n"
	      "  --extra-contact-info TEXT  report_extra_contact_info\n"
	      "  --submitter DOMAIN         report_submitter (default: domain of the email)\n"
	      "  --state FILE               report_state_file: what was reported already\n"
	      "  --sendmail COMMAND         report_sendmail (default \"" CONFIG_DEFAULT_SENDMAIL "\")\n"
	      "  --resolver SPEC            DNS for destination checks (default: resolver\n"
	      "                             of the configuration); --zone FILE = zone:FILE\n"
	      "  --out-dir DIR              also write each report (.xml.gz) into DIR\n"
	      "  --dry-run                  send nothing, change no state; show what would\n"
	      "                             be sent\n"
	      "  --flush                    report windows that have not ended yet, too\n"
	      "  --now EPOCH                the current time (seconds since 1970)\n"
	      "  --failure-reports          send the DMARC failure reports (ruf=) spooled in\n"
	      "                             failure_report_dir instead of aggregate reports\n"
	      "  --failure-dir DIR          the spool directory (default: failure_report_dir)\n"
	      "  -v, --verbose              one line per report and destination\n"
	      "  -q, --quiet                errors only\n"
	      "  --version, --help\n"
	      "\n"
	      "Without HISTORY-FILE, the configuration's history_file is read.  Give\n"
	      "rotated files too (history.1 history): each file is read once.\n"
	      "Exit status: 0 done, 1 some report deferred (retried next run), 2 usage or\n"
	      "configuration error, 3 operational failure.\n",
	      f);
}

static bool parse_epoch(const char *s, int64_t *out)
{
	uint64_t v;
	if (!slice_parse_u64(slice_from_cstr(s), (uint64_t)INT64_MAX / 2, &v))
		return false;
	*out = (int64_t)v;
	return true;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static char zone_spec[PATH_MAX + 8];
	enum { O_CONFIG = 256, O_ORG, O_EMAIL, O_EXTRA, O_SUBMITTER, O_STATE, O_SENDMAIL,
	       O_RESOLVER, O_ZONE, O_OUTDIR, O_DRYRUN, O_FLUSH, O_NOW, O_VERSION, O_HELP,
	       O_FAILURE, O_FAILDIR };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, O_CONFIG },
		{ "org-name", required_argument, NULL, O_ORG },
		{ "email", required_argument, NULL, O_EMAIL },
		{ "extra-contact-info", required_argument, NULL, O_EXTRA },
		{ "submitter", required_argument, NULL, O_SUBMITTER },
		{ "state", required_argument, NULL, O_STATE },
		{ "sendmail", required_argument, NULL, O_SENDMAIL },
		{ "resolver", required_argument, NULL, O_RESOLVER },
		{ "zone", required_argument, NULL, O_ZONE },
		{ "out-dir", required_argument, NULL, O_OUTDIR },
		{ "dry-run", no_argument, NULL, O_DRYRUN },
		{ "flush", no_argument, NULL, O_FLUSH },
		{ "now", required_argument, NULL, O_NOW },
		{ "failure-reports", no_argument, NULL, O_FAILURE },
		{ "failure-dir", required_argument, NULL, O_FAILDIR },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "version", no_argument, NULL, O_VERSION },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	memset(o, 0, sizeof *o);
	o->config_path = CONFIG_DEFAULT_PATH;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, "vq", opts, NULL)) != -1) {
		switch (ch) {
		case O_CONFIG:
			o->config_path = optarg;
			o->config_given = true;
			break;
		case O_ORG: o->org_name = optarg; break;
		case O_EMAIL: o->email = optarg; break;
		case O_EXTRA: o->extra = optarg; break;
		case O_SUBMITTER: o->submitter = optarg; break;
		case O_STATE: o->state_path = optarg; break;
		case O_SENDMAIL: o->sendmail = optarg; break;
		case O_RESOLVER: o->resolver = optarg; break;
		case O_ZONE:
			if ((size_t)snprintf(zone_spec, sizeof zone_spec, "zone:%s", optarg) >=
			    sizeof zone_spec) {
				error("--zone: path too long");
				return EXIT_USAGE;
			}
			o->resolver = zone_spec;
			break;
		case O_OUTDIR: o->out_dir = optarg; break;
		case O_DRYRUN: o->dry_run = true; break;
		case O_FLUSH: o->flush = true; break;
		case O_FAILURE: o->failure_reports = true; break;
		case O_FAILDIR: o->failure_dir = optarg; break;
		case O_NOW:
			if (!parse_epoch(optarg, &o->now)) {
				error("--now wants seconds since the epoch, not '%s'", optarg);
				return EXIT_USAGE;
			}
			o->now_given = true;
			break;
		case 'v': o->verbose = true; break;
		case 'q': o->quiet = true; break;
		case O_VERSION: {
			struct arena *a = arena_new(0);
			if (!a)
				return EXIT_OPFAIL;
			struct buf b;
			buf_init(&b, a, 4096);
			version_describe(&b);
			puts(buf_cstr(&b));
			arena_free(a);
			exit(EXIT_OK);
		}
		case O_HELP:
			usage(stdout);
			exit(EXIT_OK);
		default:
			usage(stderr);
			error("unknown or incomplete option: %s", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	o->files = argv + optind;
	o->n_files = (size_t)(argc - optind);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Configuration                                                       */

/* A command-line value checked by the configuration file's own rules:
 * "name = value" goes through config_parse(), and the string option at
 * offset off of the result replaces c's. */
static bool override(struct config *c, const char *name, const char *value, const char *opt,
                     size_t off)
{
	for (const char *p = value; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			error("%s: control characters are not allowed", opt);
			return false;
		}
	char *text = arena_printf(c->arena, "%s = %s\n", name, value);
	if (!text) {
		error("out of memory");
		return false;
	}
	struct config *tmp;
	char err[1024];
	if (config_parse(&tmp, opt, slice_from_cstr(text), err, sizeof err) != CONFIG_OK) {
		error("%s", err);
		return false;
	}
	const char *v = *(const char **)(void *)((char *)tmp + off);
	const char *copy = v ? arena_strndup(c->arena, v, strlen(v)) : NULL;
	config_free(tmp);
	if (v && !copy) {
		error("out of memory");
		return false;
	}
	*(const char **)(void *)((char *)c + off) = copy;
	return true;
}

/* A path from the command line made absolute (the configuration file
 * wants absolute paths; on the command line relative ones are natural).
 * prefix ("zone:", "unbound:") is kept in front.  NULL on failure. */
static const char *absolute(struct arena *a, const char *prefix, const char *path)
{
	if (path[0] == '/')
		return arena_printf(a, "%s%s", prefix, path);
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd)) {
		error("cannot make %s an absolute path: %s", path, strerror(errno));
		return NULL;
	}
	return arena_printf(a, "%s%s/%s", prefix, cwd, path);
}

static bool apply_overrides(struct config *c, struct opts *o)
{
	if (o->state_path && !(o->state_path = absolute(c->arena, "", o->state_path)))
		return false;
	if (o->resolver) {
		static const char *const kinds[] = { "zone:", "unbound:" };
		for (size_t i = 0; i < 2; i++) {
			size_t kl = strlen(kinds[i]);
			if (strncmp(o->resolver, kinds[i], kl) == 0 && o->resolver[kl] &&
			    !(o->resolver = absolute(c->arena, kinds[i], o->resolver + kl)))
				return false;
		}
	}
	const struct {
		const char *value, *name, *opt;
		size_t off;
	} ov[] = {
		{ o->org_name, "report_org_name", "--org-name", offsetof(struct config, report_org_name) },
		{ o->email, "report_email", "--email", offsetof(struct config, report_email) },
		{ o->extra, "report_extra_contact_info", "--extra-contact-info",
		  offsetof(struct config, report_extra_contact_info) },
		{ o->submitter, "report_submitter", "--submitter",
		  offsetof(struct config, report_submitter) },
		{ o->state_path, "report_state_file", "--state",
		  offsetof(struct config, report_state_file) },
		{ o->sendmail, "report_sendmail", "--sendmail", offsetof(struct config, report_sendmail) },
		{ o->resolver, "resolver", "--resolver", offsetof(struct config, resolver) },
	};
	for (size_t i = 0; i < sizeof ov / sizeof ov[0]; i++)
		if (ov[i].value && !override(c, ov[i].name, ov[i].value, ov[i].opt, ov[i].off))
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* State file                                                          */

/* Read the state file; a missing file is an empty state. */
static int load_state(struct report_state *st, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return EXIT_OK;
		error("cannot open state file %s: %s", path, strerror(errno));
		return EXIT_OPFAIL;
	}
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size > REPORT_MAX_STATE_BYTES) {
		error("state file %s: not a regular file of at most %u bytes", path,
		      (unsigned)REPORT_MAX_STATE_BYTES);
		close(fd);
		return EXIT_OPFAIL;
	}
	char *data = arena_alloc(st->a, (size_t)sb.st_size + 1);
	if (!data) {
		close(fd);
		error("out of memory");
		return EXIT_OPFAIL;
	}
	size_t len = 0;
	while (len < (size_t)sb.st_size) {
		ssize_t r = read(fd, data + len, (size_t)sb.st_size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			error("cannot read state file %s: %s", path, strerror(errno));
			close(fd);
			return EXIT_OPFAIL;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	char err[256];
	int rc = report_state_parse(st, slice_make(data, len), err, sizeof err);
	if (rc == REPORT_STATE_SYNTAX) {
		error("state file %s: %s (remove it to start afresh: everything still in the "
		      "history files is then reported again)",
		      path, err);
		return EXIT_OPFAIL;
	}
	if (rc != REPORT_STATE_OK) {
		error("out of memory");
		return EXIT_OPFAIL;
	}
	return EXIT_OK;
}

static bool save_state(const struct report_state *st, const char *path, struct arena *a)
{
	struct buf b;
	buf_init(&b, a, REPORT_MAX_STATE_BYTES);
	report_state_format(st, &b);
	if (b.err) {
		error("state file %s: the state grew beyond %u bytes", path,
		      (unsigned)REPORT_MAX_STATE_BYTES);
		return false;
	}
	/* Same directory, so rename() replaces it atomically. */
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	if (slash) {
		size_t dl = (size_t)(slash - path);
		if (dl >= sizeof dir)
			return false;
		memcpy(dir, path, dl);
		dir[dl] = '\0';
		if (dl == 0)
			strcpy(dir, "/");
	} else {
		strcpy(dir, ".");
	}
	char err[PATH_MAX + 256];
	if (!deliver_write_file(dir, slice_from_cstr(slash ? slash + 1 : path), buf_slice(&b), err,
	                        sizeof err)) {
		error("cannot save the state file: %s", err);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Reports                                                             */

struct run {
	const struct opts *o;
	const struct config *cfg;
	struct report_meta meta;
	const char *host;          /* this machine, for report ids */
	struct dns_resolver *dns;
	struct report_agg *agg;
	int64_t now;
	bool deferred;             /* some report waits for the next run */
	bool failed;               /* an operational failure */
	uint64_t sent, refused, written;
};

static void fmt_time(char *out, size_t n, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, n, "%" PRId64, t);
}

/* Untrusted text (from history files or DNS) for our messages: printable
 * ASCII kept, the rest as '?', cut at 200 bytes. */
static const char *shown(struct arena *a, struct slice s)
{
	size_t n = s.len > 200 ? 200 : s.len;
	char *p = arena_alloc(a, n + 4);
	if (!p)
		return "?";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		p[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (n < s.len) {
		memcpy(p + n, "...", 4);
	} else {
		p[n] = '\0';
	}
	return p;
}

enum outcome { OUT_DONE, OUT_DEFERRED, OUT_FAILED };

/* Send (or show) one report to one address. */
static enum outcome send_one(struct run *r, struct arena *a, const struct report_group *grp,
                             struct slice id, struct slice filename, struct slice gz,
                             int64_t begin, int64_t end, const struct report_uri *u)
{
	const char *pd = shown(a, grp->pdomain), *to = shown(a, u->address);
	if (r->o->dry_run) {
		printf("  would send %s to %s (%zu bytes gzip)\n", pd, to, gz.len);
		return OUT_DONE;
	}
	struct report_mail m = {
		.meta = &r->meta, .pdomain = grp->pdomain, .report_id = id, .filename = filename,
		.to = u->address, .begin = begin, .end = end, .messages = grp->messages,
		.date = r->now, .attachment = gz,
	};
	struct buf mb;
	buf_init(&mb, a, (size_t)report_encoded_size(gz.len) * 2 + 64 * 1024);
	report_mail_build(&m, &mb);
	if (mb.err) {
		error("out of memory building the report message for %s", pd);
		return OUT_FAILED;
	}
	char err[512];
	const char *cmd = r->cfg->report_sendmail ? r->cfg->report_sendmail : CONFIG_DEFAULT_SENDMAIL;
	if (!deliver_sendmail(cmd, buf_slice(&mb), err, sizeof err)) {
		error("the report for %s to %s was not submitted: %s", pd, to, err);
		return OUT_DEFERRED;
	}
	if (r->o->verbose)
		printf("  sent %s to %s (%zu bytes gzip)\n", pd, to, gz.len);
	r->sent++;
	return OUT_DONE;
}

static bool seen_address(struct slice *seen, size_t n, struct slice addr)
{
	for (size_t i = 0; i < n; i++)
		if (slice_eq_ci(seen[i], addr))
			return true;
	return false;
}

/* Build one group's report and hand it to its destinations. */
static enum outcome report_group(struct run *r, struct report_group *grp)
{
	struct arena *a = arena_new(0);
	if (!a) {
		error("out of memory");
		return OUT_FAILED;
	}
	enum outcome res = OUT_DONE;
	int64_t begin, end_excl;
	report_group_range(r->agg, grp, r->now, &begin, &end_excl);
	int64_t end = end_excl - 1; /* date_range is inclusive */
	const char *pd = shown(a, grp->pdomain);

	struct buf idb, xml, gz, fn;
	buf_init(&idb, a, 64);
	buf_init(&xml, a, REPORT_MAX_XML_BYTES);
	buf_init(&gz, a, REPORT_MAX_XML_BYTES);
	buf_init(&fn, a, 4096);
	if (!report_id_make(&idb, r->meta.receiver, r->host, grp->pdomain, begin, end)) {
		error("cannot make a report id (OpenSSL)");
		arena_free(a);
		return OUT_FAILED;
	}
	struct slice id = buf_slice(&idb);
	report_xml_write(&xml, &r->meta, id, begin, end, &grp->policy, grp->rows, grp->n_rows);
	report_filename(&fn, r->meta.receiver, grp->pdomain, begin, end, id);
	if (xml.err || fn.err || !deliver_gzip(buf_slice(&xml), &gz)) {
		error("cannot build the report for %s (out of memory or over %u bytes)", pd,
		      (unsigned)REPORT_MAX_XML_BYTES);
		arena_free(a);
		return OUT_FAILED;
	}
	char tb[32], te[32];
	fmt_time(tb, sizeof tb, begin);
	fmt_time(te, sizeof te, end);
	if (r->o->verbose || r->o->dry_run)
		printf("report %s %s..%s id %s: %" PRIu64 " message%s, %zu row%s, %zu bytes gzip\n",
		       pd, tb, te, buf_cstr(&idb), grp->messages, grp->messages == 1 ? "" : "s",
		       grp->n_rows, grp->n_rows == 1 ? "" : "s", gz.len);

	if (r->o->out_dir) {
		char err[PATH_MAX + 256];
		if (!deliver_write_file(r->o->out_dir, buf_slice(&fn), buf_slice(&gz), err,
		                        sizeof err)) {
			error("%s", err);
			arena_free(a);
			return OUT_FAILED;
		}
		r->written++;
		if (r->o->verbose || r->o->dry_run)
			printf("  wrote %s/%s\n", r->o->out_dir, buf_cstr(&fn));
	}

	if (grp->n_rua == 0) {
		if (r->o->verbose || r->o->dry_run)
			printf("  %s asks for no aggregate reports (no rua=)\n", pd);
		arena_free(a);
		return OUT_DONE;
	}

	struct slice seen[HIST_MAX_RUA * DMARC_MAX_REPORT_URIS];
	size_t n_seen = 0;
	bool delivered = false, deferred = false;
	for (size_t i = 0; i < grp->n_rua && res != OUT_FAILED; i++) {
		struct report_uri u;
		const char *why = "";
		enum report_uri_status us = report_uri_parse(a, grp->rua[i], &u, &why);
		if (us == REPORT_URI_NOMEM) {
			error("out of memory");
			res = OUT_FAILED;
			break;
		}
		if (us != REPORT_URI_OK) {
			notice("not sending the report for %s to '%s': %s", pd, shown(a, grp->rua[i]),
			       why);
			r->refused++;
			continue;
		}
		/* Our own address is refused before anything else is checked. */
		if (report_is_self(&r->meta, u.address)) {
			notice("not sending the report for %s to %s: that is our own report address "
			       "(no reports to ourselves)",
			       pd, shown(a, u.address));
			r->refused++;
			continue;
		}
		struct report_dest d;
		enum report_dest_status ds = report_dest_check(
		        r->dns, a, grp->pdomain, &u, dns_now_ms() + REPORT_DNS_TIMEOUT_MS, &d);
		if (ds == REPORT_DEST_NOMEM) {
			error("out of memory");
			res = OUT_FAILED;
			break;
		}
		if (ds == REPORT_DEST_REFUSED) {
			notice("not sending the report for %s to %s: %s", pd, shown(a, u.address),
			       d.why);
			r->refused++;
			continue;
		}
		if (ds == REPORT_DEST_TEMPFAIL) {
			error("the report for %s to %s waits for the next run: %s", pd,
			      shown(a, u.address), d.why);
			deferred = true;
			continue;
		}
		for (size_t k = 0; k < d.n_uris; k++) {
			const struct report_uri *t = &d.uris[k];
			const char *to = shown(a, t->address);
			if (report_is_self(&r->meta, t->address)) {
				notice("not sending the report for %s to %s: that is our own report "
				       "address (no reports to ourselves)",
				       pd, to);
				r->refused++;
				continue;
			}
			if (seen_address(seen, n_seen, t->address))
				continue; /* another URI named it already */
			uint64_t size = report_encoded_size(gz.len);
			if (t->max_bytes && size > t->max_bytes) {
				notice("not sending the report for %s to %s: it is %" PRIu64
				       " bytes encoded, more than the limit of %" PRIu64
				       " bytes in '%s'",
				       pd, to, size, t->max_bytes, shown(a, t->text));
				r->refused++;
				continue;
			}
			if (n_seen < sizeof seen / sizeof seen[0])
				seen[n_seen++] = t->address;
			enum outcome o = send_one(r, a, grp, id, buf_slice(&fn), buf_slice(&gz), begin,
			                          end, t);
			if (o == OUT_DONE)
				delivered = true;
			else if (o == OUT_DEFERRED)
				deferred = true;
			else
				res = OUT_FAILED;
		}
	}
	if (res == OUT_DONE && deferred) {
		if (delivered)
			error("the report for %s reached some of its destinations only; it is not "
			      "sent again (the others were named above)",
			      pd);
		else
			res = OUT_DEFERRED;
	}
	arena_free(a);
	return res;
}

/* ------------------------------------------------------------------ */

static int lock_state(const char *state_path)
{
	char lp[PATH_MAX];
	if ((size_t)snprintf(lp, sizeof lp, "%s.lock", state_path) >= sizeof lp) {
		error("state file path too long");
		return -2;
	}
	int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		error("cannot open lock file %s: %s", lp, strerror(errno));
		return -2;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			error("another mailauth-report holds %s; nothing done", lp);
		else
			error("cannot lock %s: %s", lp, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static const char *email_domain(const char *email)
{
	const char *at = strrchr(email, '@');
	return at ? at + 1 : email;
}

/* --failure-reports: the spooled failure reports, nothing else. */
static int failure_mode(struct config *cfg, const struct opts *o, const char *where)
{
	const char *dir = o->failure_dir ? o->failure_dir : cfg->failure_report_dir;
	int rc = EXIT_USAGE;
	struct stat sb;
	struct dns_resolver *dns = NULL;
	char err[1024];
	if (!cfg->report_email) {
		error("no report_email: set it in %s or give --email", where);
	} else if (!dir) {
		error("no failure report directory: set failure_report_dir in %s or give "
		      "--failure-dir",
		      where);
	} else if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		error("failure report directory %s: not a directory", dir);
	} else if (o->out_dir && (stat(o->out_dir, &sb) != 0 || !S_ISDIR(sb.st_mode))) {
		error("--out-dir %s: not a directory", o->out_dir);
	} else if (!(dns = dns_resolver_new(cfg->resolver, err, sizeof err))) {
		error("resolver '%s': %s", cfg->resolver, err);
	} else {
		char host[256] = "localhost";
		if (gethostname(host, sizeof host - 1) != 0 || !host[0])
			strcpy(host, "localhost");
		host[sizeof host - 1] = '\0';
		struct failure_run_opts fo = {
			.cfg = cfg, .dir = dir, .out_dir = o->out_dir,
			.receiver = cfg->report_submitter ? cfg->report_submitter
			                                  : email_domain(cfg->report_email),
			.host = host, .user_agent = "exim-mailauth/" MAILAUTH_VERSION, .dns = dns,
			.now = o->now_given ? o->now : (int64_t)time(NULL),
			.dry_run = o->dry_run, .verbose = o->verbose, .quiet = o->quiet,
		};
		rc = failure_reports_run(&fo);
	}
	dns_resolver_free(dns);
	config_free(cfg);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o;
	int rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		return rc;
	quiet_mode = o.quiet;
	signal(SIGPIPE, SIG_IGN);

	struct config *cfg = NULL;
	char err[1024];
	if (config_load(&cfg, o.config_path, !o.config_given, err, sizeof err) != CONFIG_OK) {
		error("%s", err);
		return EXIT_USAGE;
	}
	if (!apply_overrides(cfg, &o)) {
		config_free(cfg);
		return EXIT_USAGE;
	}
	const char *where = o.config_given ? o.config_path : CONFIG_DEFAULT_PATH;
	if (o.failure_reports)
		return failure_mode(cfg, &o, where);
	if (!cfg->report_org_name || !cfg->report_email) {
		error("no %s: set it in %s or give %s", !cfg->report_org_name ? "report_org_name"
		                                                              : "report_email",
		      where, !cfg->report_org_name ? "--org-name" : "--email");
		config_free(cfg);
		return EXIT_USAGE;
	}
	if (!cfg->report_state_file && !o.dry_run) {
		error("no state file: set report_state_file in %s or give --state (or use "
		      "--dry-run)",
		      where);
		config_free(cfg);
		return EXIT_USAGE;
	}
	char *cfg_files[1];
	char **files = o.files;
	size_t n_files = o.n_files;
	if (n_files == 0) {
		if (!cfg->history_file) {
			error("no history file: give one or set history_file in %s", where);
			config_free(cfg);
			return EXIT_USAGE;
		}
		cfg_files[0] = (char *)cfg->history_file;
		files = cfg_files;
		n_files = 1;
	}
	if (o.out_dir) {
		struct stat sb;
		if (stat(o.out_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			error("--out-dir %s: not a directory", o.out_dir);
			config_free(cfg);
			return EXIT_USAGE;
		}
	}
	struct dns_resolver *dns = dns_resolver_new(cfg->resolver, err, sizeof err);
	if (!dns) {
		error("resolver '%s': %s", cfg->resolver, err);
		config_free(cfg);
		return EXIT_USAGE;
	}

	int lockfd = -1;
	if (!o.dry_run) {
		lockfd = lock_state(cfg->report_state_file);
		if (lockfd < 0) {
			dns_resolver_free(dns);
			config_free(cfg);
			return lockfd == -1 ? EXIT_DEFERRED : EXIT_OPFAIL;
		}
	}

	char host[256] = "localhost";
	if (gethostname(host, sizeof host - 1) != 0 || !host[0])
		strcpy(host, "localhost");
	host[sizeof host - 1] = '\0';

	struct arena *a = arena_new(0);
	struct report_state st;
	int exit_code = EXIT_OK;
	struct report_input_file *inf = NULL;
	if (!a) {
		error("out of memory");
		exit_code = EXIT_OPFAIL;
		goto out;
	}
	report_state_init(&st, a);
	if (cfg->report_state_file) {
		exit_code = load_state(&st, cfg->report_state_file);
		if (exit_code != EXIT_OK)
			goto out;
	}

	struct run r;
	memset(&r, 0, sizeof r);
	r.o = &o;
	r.cfg = cfg;
	r.meta.org_name = cfg->report_org_name;
	r.meta.email = cfg->report_email;
	r.meta.extra_contact_info = cfg->report_extra_contact_info;
	r.meta.receiver = cfg->report_submitter ? cfg->report_submitter
	                                        : email_domain(cfg->report_email);
	r.meta.generator = "exim-mailauth " MAILAUTH_VERSION;
	r.host = host;
	r.dns = dns;
	r.now = o.now_given ? o.now : (int64_t)time(NULL);
	r.agg = report_agg_new(a, n_files);
	inf = calloc(n_files, sizeof *inf);
	if (!r.agg || !inf) {
		error("out of memory");
		exit_code = EXIT_OPFAIL;
		goto out;
	}
	for (size_t i = 0; i < st.n_domains; i++)
		if (report_agg_set_watermark(r.agg, st.domains[i].domain, st.domains[i].watermark) !=
		    REPORT_AGG_OK) {
			error("out of memory");
			exit_code = EXIT_OPFAIL;
			goto out;
		}

	/* Read every file first: nothing is sent unless all could be read. */
	struct report_input_stats stats;
	memset(&stats, 0, sizeof stats);
	for (size_t i = 0; i < n_files; i++) {
		int fd = open(files[i], O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			error("cannot open history file %s: %s", files[i], strerror(errno));
			exit_code = EXIT_OPFAIL;
			goto out;
		}
		struct stat sb;
		bool dup = false;
		if (fstat(fd, &sb) == 0)
			for (size_t k = 0; k < i; k++)
				if (inf[k].read && inf[k].dev == (uint64_t)sb.st_dev &&
				    inf[k].ino == (uint64_t)sb.st_ino)
					dup = true;
		if (dup) {
			notice("%s is the same file as one given before; read once", files[i]);
			close(fd);
			inf[i].path = files[i];
			continue;
		}
		int ir = report_input_read_fd(r.agg, &st, i, fd, files[i], &inf[i], &stats, err,
		                              sizeof err);
		close(fd);
		if (ir == REPORT_INPUT_IO) {
			error("%s", err);
			exit_code = EXIT_OPFAIL;
			goto out;
		}
		if (ir == REPORT_INPUT_LIMIT) {
			error("more than %u distinct report rows in one run: run mailauth-report more "
			      "often",
			      (unsigned)REPORT_MAX_ROWS);
			exit_code = EXIT_OPFAIL;
			goto out;
		}
		if (ir != REPORT_INPUT_OK) {
			error("out of memory reading %s", files[i]);
			exit_code = EXIT_OPFAIL;
			goto out;
		}
		if (o.verbose)
			printf("read %s from byte %" PRIu64 " to %" PRIu64 "%s\n", files[i],
			       inf[i].start, inf[i].end, inf[i].resumed ? " (resumed)" : "");
	}
	if (stats.damaged)
		notice("%" PRIu64 " damaged fragment%s skipped in the history", stats.damaged,
		       stats.damaged == 1 ? "" : "s");
	report_agg_finish(r.agg);

	size_t n = report_agg_count(r.agg);
	bool *done = calloc(n ? n : 1, sizeof *done);
	if (!done) {
		error("out of memory");
		exit_code = EXIT_OPFAIL;
		goto out;
	}
	struct slice blocked = SLICE_NULL;
	uint64_t open_windows = 0, reports = 0;
	for (size_t i = 0; i < n && !r.failed; i++) {
		struct report_group *grp = report_agg_group(r.agg, i);
		if (blocked.ptr && slice_eq(blocked, grp->pdomain))
			continue; /* an earlier window of the domain is deferred */
		blocked = SLICE_NULL;
		if (!o.flush && !report_group_finished(grp, r.now)) {
			open_windows++;
			continue;
		}
		reports++;
		enum outcome oc = report_group(&r, grp);
		if (oc == OUT_DONE) {
			done[i] = true;
		} else if (oc == OUT_DEFERRED) {
			r.deferred = true;
			blocked = grp->pdomain;
		} else {
			r.failed = true;
		}
	}
	if (o.verbose || o.dry_run)
		printf("%" PRIu64 " record%s read, %" PRIu64 " counted; %" PRIu64
		       " report%s due, %" PRIu64 " window%s still open; %" PRIu64
		       " message%s submitted, %" PRIu64 " destination%s refused, %" PRIu64
		       " file%s written\n",
		       stats.records, stats.records == 1 ? "" : "s", stats.counted, reports,
		       reports == 1 ? "" : "s", open_windows, open_windows == 1 ? "" : "s", r.sent,
		       r.sent == 1 ? "" : "s", r.refused, r.refused == 1 ? "" : "s", r.written,
		       r.written == 1 ? "" : "s");

	if (!o.dry_run) {
		if (report_input_commit(&st, r.agg, done, inf, n_files, r.now) != REPORT_STATE_OK) {
			error("out of memory updating the state");
			r.failed = true;
		} else if (!save_state(&st, cfg->report_state_file, a)) {
			r.failed = true;
		}
	}
	free(done);
	exit_code = r.failed ? EXIT_OPFAIL : r.deferred ? EXIT_DEFERRED : EXIT_OK;

out:
	free(inf);
	arena_free(a);
	if (lockfd >= 0)
		close(lockfd);
	dns_resolver_free(dns);
	config_free(cfg);
	return exit_code;
}
