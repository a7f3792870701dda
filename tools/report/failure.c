/* failure.c — mailauth-report --failure-reports (see failure.h).
 *
 * Ownership: one arena per run for the rate state and one per spool file
 * for everything else; both freed here.
 */
#include "failure.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "deliver.h"
#include "failure_report.h"
#include "mailauth_limits.h"
#include "report_dest.h"
#include "report_mail.h"

#define EXIT_OK 0
#define EXIT_DEFERRED 1
#define EXIT_OPFAIL 3

/* local: bytes of a spool file read; FAILURE_MAX_SPOOL_BYTES plus room for
 * the metadata lines written before the header section. */
#define FAILURE_MAX_READ_BYTES (FAILURE_MAX_SPOOL_BYTES + 64u * 1024)

static bool quiet;

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("mailauth-report: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

#define notice(...)                      \
	do {                             \
		if (!quiet)              \
			say(__VA_ARGS__); \
	} while (0)

/* Untrusted text for messages: printable ASCII, cut at 200 bytes. */
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
	memcpy(p + n, n < s.len ? "..." : "", n < s.len ? 4 : 1);
	return p;
}

/* Read dir/name (at most max bytes) into the arena. */
static int read_file(struct arena *a, const char *dir, const char *name, size_t max,
                     struct slice *out)
{
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 1 : -1;
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > max) {
		close(fd);
		return -2;
	}
	char *p = arena_alloc(a, (size_t)sb.st_size + 1);
	if (!p) {
		close(fd);
		return -1;
	}
	size_t len = 0;
	while (len < (size_t)sb.st_size) {
		ssize_t r = read(fd, p + len, (size_t)sb.st_size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	*out = slice_make(p, len);
	return 0;
}

static int cmp_names(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

struct frun {
	const struct failure_run_opts *o;
	struct failure_rate rate;
	uint64_t files, sent, written, dropped, deferred, refused;
};

enum fout { F_DONE, F_KEEP, F_FAILED };

/* Message id token: letters, digits, '-' and '.' from the spool name, the
 * host and the destination number. */
static struct slice make_id(struct arena *a, const char *name, const char *host, size_t k)
{
	struct buf b;
	buf_init(&b, a, 512);
	for (const char *p = name; *p; p++)
		buf_add_byte(&b, (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ? *p : '_');
	buf_add_byte(&b, '.');
	for (const char *p = host; *p && b.len < 400; p++)
		buf_add_byte(&b, (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		                                 (*p >= '0' && *p <= '9') || *p == '-'
		                         ? *p
		                         : '_');
	buf_addf(&b, ".%zu", k);
	return buf_slice(&b);
}

static enum fout one_file(struct frun *fr, const char *name)
{
	const struct failure_run_opts *o = fr->o;
	struct arena *a = arena_new(0);
	if (!a) {
		say("out of memory");
		return F_FAILED;
	}
	enum fout res = F_DONE;
	struct slice text;
	int rr = read_file(a, o->dir, name, FAILURE_MAX_READ_BYTES, &text);
	if (rr == 1) {
		arena_free(a);
		return F_KEEP; /* gone meanwhile */
	}
	if (rr != 0) {
		if (rr == -2) {
			notice("%s/%s: not a regular file of at most %u bytes; dropped", o->dir, name,
			       (unsigned)FAILURE_MAX_READ_BYTES);
			fr->dropped++;
		} else {
			say("%s/%s cannot be read: %s; kept", o->dir, name, strerror(errno));
			fr->deferred++;
		}
		arena_free(a);
		return rr == -2 ? F_DONE : F_KEEP;
	}
	struct failure_record rec;
	const char *why = "";
	if (failure_record_parse(text, &rec, &why) != FAILURE_PARSE_OK) {
		notice("%s/%s: not a failure report spool file (%s); dropped", o->dir, name, why);
		fr->dropped++;
		arena_free(a);
		return F_DONE;
	}
	const char *pd = shown(a, rec.policy_domain);
	if (failure_headers_are_report(a, rec.headers)) {
		notice("%s: the message is itself a report; no failure report about it (%s)", name, pd);
		fr->dropped++;
		arena_free(a);
		return F_DONE;
	}
	if (rec.arrival + FAILURE_MAX_AGE < o->now) {
		notice("%s: older than FAILURE_MAX_AGE (%u s); dropped (%s)", name,
		       (unsigned)FAILURE_MAX_AGE, pd);
		fr->dropped++;
		arena_free(a);
		return F_DONE;
	}
	if (!failure_rate_take(&fr->rate, rec.policy_domain, o->now, o->cfg->failure_report_rate)) {
		notice("%s: %s had %u failure reports this hour already (failure_report_rate); dropped",
		       name, pd, o->cfg->failure_report_rate);
		fr->dropped++;
		arena_free(a);
		return F_DONE;
	}

	struct report_meta meta = { 0 };
	meta.email = o->cfg->report_email;
	struct slice seen[DMARC_MAX_REPORT_URIS * DMARC_MAX_REPORT_URIS];
	size_t n_seen = 0, k = 0;
	bool delivered = false, deferred = false;
	for (size_t i = 0; i < rec.n_ruf && res != F_FAILED; i++) {
		struct report_uri u;
		enum report_uri_status us = report_uri_parse(a, rec.ruf[i], &u, &why);
		if (us == REPORT_URI_NOMEM) {
			res = F_FAILED;
			break;
		}
		if (us != REPORT_URI_OK) {
			notice("not sending the failure report for %s to '%s': %s", pd,
			       shown(a, rec.ruf[i]), why);
			fr->refused++;
			continue;
		}
		if (report_is_self(&meta, u.address)) {
			notice("not sending the failure report for %s to %s: our own report address", pd,
			       shown(a, u.address));
			fr->refused++;
			continue;
		}
		struct report_dest d;
		enum report_dest_status ds = report_dest_check(
		        o->dns, a, rec.policy_domain, &u, dns_now_ms() + REPORT_DNS_TIMEOUT_MS, &d);
		if (ds == REPORT_DEST_NOMEM) {
			res = F_FAILED;
			break;
		}
		if (ds == REPORT_DEST_REFUSED) {
			notice("not sending the failure report for %s to %s: %s", pd, shown(a, u.address),
			       d.why);
			fr->refused++;
			continue;
		}
		if (ds == REPORT_DEST_TEMPFAIL) {
			say("the failure report for %s to %s waits for the next run: %s", pd,
			    shown(a, u.address), d.why);
			deferred = true;
			continue;
		}
		for (size_t j = 0; j < d.n_uris && res != F_FAILED; j++) {
			const struct report_uri *t = &d.uris[j];
			const char *to = shown(a, t->address);
			bool dup = false;
			for (size_t s = 0; s < n_seen; s++)
				dup = dup || slice_eq_ci(seen[s], t->address);
			if (dup)
				continue;
			if (report_is_self(&meta, t->address)) {
				notice("not sending the failure report for %s to %s: our own report address",
				       pd, to);
				fr->refused++;
				continue;
			}
			struct failure_mail m = {
				.rec = &rec, .from = o->cfg->report_email,
				.org_name = o->cfg->report_org_name, .receiver = o->receiver,
				.user_agent = o->user_agent, .to = t->address,
				.id = make_id(a, name, o->host, k++), .date = o->now,
			};
			struct buf mb;
			buf_init(&mb, a, FAILURE_MAX_READ_BYTES * 3);
			failure_mail_build(&m, &mb);
			if (mb.err) {
				say("out of memory building the failure report for %s", pd);
				res = F_FAILED;
				break;
			}
			if (t->max_bytes && mb.len > t->max_bytes) {
				notice("not sending the failure report for %s to %s: %zu bytes, more than "
				       "the limit of %" PRIu64 " bytes",
				       pd, to, mb.len, t->max_bytes);
				fr->refused++;
				continue;
			}
			if (n_seen < sizeof seen / sizeof seen[0])
				seen[n_seen++] = t->address;
			if (o->out_dir) {
				char err[PATH_MAX + 256];
				struct buf fn;
				buf_init(&fn, a, 1024);
				buf_add_slice(&fn, m.id);
				buf_add_cstr(&fn, ".eml");
				if (!deliver_write_file(o->out_dir, buf_slice(&fn), buf_slice(&mb), err,
				                        sizeof err)) {
					say("%s", err);
					res = F_FAILED;
					break;
				}
				fr->written++;
				if (o->verbose || o->dry_run)
					printf("  wrote %s/%s\n", o->out_dir, buf_cstr(&fn));
			}
			if (o->dry_run) {
				printf("  would send the failure report for %s to %s (%zu bytes)\n", pd, to,
				       mb.len);
				delivered = true;
				continue;
			}
			char err[512];
			const char *cmd = o->cfg->report_sendmail ? o->cfg->report_sendmail
			                                          : CONFIG_DEFAULT_SENDMAIL;
			if (!deliver_sendmail(cmd, buf_slice(&mb), err, sizeof err)) {
				say("the failure report for %s to %s was not submitted: %s", pd, to, err);
				deferred = true;
				continue;
			}
			if (o->verbose)
				printf("  sent the failure report for %s to %s (%zu bytes)\n", pd, to, mb.len);
			fr->sent++;
			delivered = true;
		}
	}
	if (res == F_DONE && deferred && !delivered) {
		failure_rate_give_back(&fr->rate, rec.policy_domain, o->now);
		fr->deferred++;
		res = F_KEEP;
	}
	arena_free(a);
	return res;
}

static bool save_rate(struct frun *fr, struct arena *a)
{
	struct buf b;
	buf_init(&b, a, FAILURE_MAX_RATE_BYTES);
	failure_rate_format(&fr->rate, fr->o->now, &b);
	char err[PATH_MAX + 256];
	if (b.err || !deliver_write_file(fr->o->dir, SLICE_LIT(".rate"), buf_slice(&b), err, sizeof err)) {
		say("cannot save the rate state: %s", b.err ? "too large" : err);
		return false;
	}
	return true;
}

int failure_reports_run(const struct failure_run_opts *o)
{
	quiet = o->quiet;
	struct arena *a = arena_new(0);
	if (!a) {
		say("out of memory");
		return EXIT_OPFAIL;
	}
	int exit_code = EXIT_OK, lockfd = -1;
	DIR *dh = NULL;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct frun fr;
	memset(&fr, 0, sizeof fr);
	fr.o = o;
	failure_rate_init(&fr.rate, a);

	if (!o->dry_run) {
		char lp[PATH_MAX];
		if ((size_t)snprintf(lp, sizeof lp, "%s/.lock", o->dir) >= sizeof lp ||
		    (lockfd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) < 0) {
			say("cannot open the lock file in %s: %s", o->dir, strerror(errno));
			exit_code = EXIT_OPFAIL;
			goto out;
		}
		if (flock(lockfd, LOCK_EX | LOCK_NB) != 0) {
			say("another mailauth-report handles %s; nothing done", o->dir);
			exit_code = EXIT_DEFERRED;
			goto out;
		}
	}
	struct slice st;
	int rr = read_file(a, o->dir, ".rate", FAILURE_MAX_RATE_BYTES, &st);
	if (rr == 0 && !failure_rate_parse(&fr.rate, st))
		notice("%s/.rate is damaged; rate limits start afresh", o->dir);
	else if (rr < 0)
		notice("%s/.rate cannot be read; rate limits start afresh", o->dir);

	dh = opendir(o->dir);
	if (!dh) {
		say("cannot read the failure report directory %s: %s", o->dir, strerror(errno));
		exit_code = EXIT_OPFAIL;
		goto out;
	}
	struct dirent *de;
	while ((de = readdir(dh)) != NULL) {
		if (strncmp(de->d_name, "fr-", 3) != 0)
			continue;
		if (n == FAILURE_MAX_FILES_PER_RUN)
			break; /* the rest waits for the next run */
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			void *nn = arena_realloc(a, names, cap * sizeof *names, ncap * sizeof *names);
			if (!nn) {
				say("out of memory");
				exit_code = EXIT_OPFAIL;
				goto out;
			}
			names = nn;
			cap = ncap;
		}
		if (!(names[n] = arena_strndup(a, de->d_name, strlen(de->d_name)))) {
			say("out of memory");
			exit_code = EXIT_OPFAIL;
			goto out;
		}
		n++;
	}
	if (n)
		qsort(names, n, sizeof *names, cmp_names);
	bool failed = false;
	for (size_t i = 0; i < n && !failed; i++) {
		fr.files++;
		if (o->verbose || o->dry_run)
			printf("failure report %s\n", names[i]);
		enum fout r = one_file(&fr, names[i]);
		if (r == F_FAILED) {
			failed = true;
		} else if (r == F_DONE && !o->dry_run) {
			char path[PATH_MAX];
			if ((size_t)snprintf(path, sizeof path, "%s/%s", o->dir, names[i]) < sizeof path &&
			    unlink(path) != 0 && errno != ENOENT) {
				say("cannot remove %s: %s", path, strerror(errno));
				failed = true;
			}
		}
	}
	if (o->verbose || o->dry_run)
		printf("%" PRIu64 " failure report file%s; %" PRIu64 " message%s submitted, %" PRIu64
		       " file%s written, %" PRIu64 " dropped, %" PRIu64 " kept for the next run, %" PRIu64
		       " destination%s refused\n",
		       fr.files, fr.files == 1 ? "" : "s", fr.sent, fr.sent == 1 ? "" : "s", fr.written,
		       fr.written == 1 ? "" : "s", fr.dropped, fr.deferred, fr.refused,
		       fr.refused == 1 ? "" : "s");
	if (!o->dry_run && !save_rate(&fr, a))
		failed = true;
	exit_code = failed ? EXIT_OPFAIL : fr.deferred ? EXIT_DEFERRED : EXIT_OK;
out:
	if (dh)
		closedir(dh);
	if (lockfd >= 0)
		close(lockfd);
	arena_free(a);
	return exit_code;
}
