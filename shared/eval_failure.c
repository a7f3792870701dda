/* eval_failure.c — the DMARC failure report spool file of one evaluation
 * (failure_report.h; RFC 9991, RFC 6591, RFC 6590).
 *
 * With the option failure_reports, a message that fails DMARC, whose
 * policy record has at least one valid ruf= URI and whose fo= asks for a
 * report, gets one file in failure_report_dir: the report's fields and the
 * message's header section (never the body), redacted as
 * failure_report_redact says before anything is stored.  Messages that are
 * themselves reports get none (no loops).  mailauth-report
 * --failure-reports sends the files.
 *
 * The file is written under a dot name with O_CREAT|O_EXCL (mode 0640) and
 * renamed into place once complete, so the report tool, which skips dot
 * names, never reads half a file.  A failure never changes a verdict: it
 * is reported in the field failure_report_error, which the Exim glue logs
 * like history_error.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "eval_state.h"
#include "failure_report.h"

static bool spf_failed(const struct eval_state *st)
{
	return st->spf_done && (st->spf.result == SPF_FAIL || st->spf.result == SPF_SOFTFAIL);
}

static bool dkim_failed(const struct eval_state *st)
{
	for (size_t i = 0; i < st->dkim.nsigs; i++) {
		const struct dkim_sig_result *s = &st->dkim.sigs[i];
		if (s->evaluated && (s->result == DKIM_FAIL || s->result == DKIM_PERMERROR ||
		                     s->result == DKIM_POLICY))
			return true;
	}
	return false;
}

/* RFC 6591 3.2 Delivery-Result from the disposition DMARC asks for (what
 * the administrator's ACL finally did is not known here). */
static const char *delivery_result(enum dmarc_policy disposition)
{
	switch (disposition) {
	case DMARC_POLICY_REJECT: return "reject";
	case DMARC_POLICY_QUARANTINE: return "spam";
	case DMARC_POLICY_NONE: return "delivered";
	case DMARC_POLICY_UNSPECIFIED: break;
	}
	return "other";
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Create dir/.new-<unique>, write data, rename to dir/fr-<unique>. */
static bool spool_write(const char *dir, uint64_t now, struct slice data, char *err, size_t errlen)
{
	static unsigned seq;
	char tmp[PATH_MAX], final[PATH_MAX];
	for (unsigned t = 0; t < FAILURE_MAX_NAME_TRIES; t++) {
		unsigned n = seq++;
		int a = snprintf(tmp, sizeof tmp, "%s/.new-%llu-%ld-%u", dir, (unsigned long long)now,
		                 (long)getpid(), n);
		int b = snprintf(final, sizeof final, "%s/fr-%llu-%ld-%u", dir, (unsigned long long)now,
		                 (long)getpid(), n);
		if (a < 0 || b < 0 || (size_t)a >= sizeof tmp || (size_t)b >= sizeof final) {
			snprintf(err, errlen, "failure_report_dir: path too long");
			return false;
		}
		if (access(final, F_OK) == 0)
			continue;
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0) {
			snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
			return false;
		}
		if (write_all(fd, data.ptr, data.len) != 0 || close(fd) != 0) {
			snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
			unlink(tmp);
			return false;
		}
		if (rename(tmp, final) != 0) {
			snprintf(err, errlen, "cannot rename %s: %s", tmp, strerror(errno));
			unlink(tmp);
			return false;
		}
		return true;
	}
	snprintf(err, errlen, "no unused file name in %s after FAILURE_MAX_NAME_TRIES tries", dir);
	return false;
}

void eval_failure(struct eval_state *st, struct fields *out)
{
	const struct config *o = st->opts;
	if (!o->failure_reports || !o->failure_report_dir || !st->dmarc_done || !st->dmarc.have_rec)
		return;
	const struct dmarc_eval *d = &st->dmarc;
	if (d->result != DMARC_FAIL || d->rec.n_ruf == 0 || !st->in->msg)
		return;
	struct failure_auth fa = {
		.spf_aligned_pass = d->spf_aligned,
		.dkim_aligned_pass = d->dkim_aligned,
		.spf_failed = spf_failed(st),
		.dkim_failed = dkim_failed(st),
	};
	if (!failure_fo_wants(d->rec.fo, &fa))
		return;
	if (failure_msg_is_report(st->a, st->in->msg))
		return;

	bool redact = o->failure_report_redact == CONFIG_REDACT_LOCALPART;
	struct failure_record r;
	memset(&r, 0, sizeof r);
	r.policy_domain = d->disc.policy_domain;
	r.reported_domain = d->author_domain;
	for (size_t i = 0; i < d->rec.n_ruf && i < DMARC_MAX_REPORT_URIS; i++)
		r.ruf[r.n_ruf++] = d->rec.ruf[i];
	r.source_ip = st->in->have_ip ? st->in->ip : SLICE_NULL;
	struct buf mf;
	buf_init(&mf, st->a, 2 * FAILURE_MAX_FIELD_BYTES);
	buf_add_byte(&mf, '<');
	if (st->in->have_mail_from) {
		if (redact)
			failure_redact_addresses(&mf, st->in->mail_from);
		else
			buf_add_slice(&mf, st->in->mail_from);
	}
	buf_add_byte(&mf, '>');
	r.mail_from = buf_slice(&mf);
	r.arrival = (int64_t)st->now;
	r.authres = st->authres_value;
	r.alignment = d->dkim_aligned && d->spf_aligned ? SLICE_LIT("dkim, spf")
	            : d->dkim_aligned                    ? SLICE_LIT("dkim")
	            : d->spf_aligned                     ? SLICE_LIT("spf")
	                                                 : SLICE_LIT("none");
	r.delivery_result = slice_from_cstr(delivery_result(d->disposition));

	/* Metadata first (bounded by FAILURE_MAX_FIELD_BYTES per field), then
	 * as much of the header section as the file's limit leaves room for. */
	struct buf meta, hdrs, file;
	buf_init(&meta, st->a, FAILURE_MAX_SPOOL_BYTES);
	failure_record_format(&r, &meta);
	size_t room = meta.len < FAILURE_MAX_SPOOL_BYTES ? FAILURE_MAX_SPOOL_BYTES - meta.len : 0;
	buf_init(&hdrs, st->a, FAILURE_MAX_SPOOL_BYTES);
	r.truncated = !failure_headers_write(&hdrs, st->in->msg, redact, room);
	r.headers = buf_slice(&hdrs);
	buf_init(&file, st->a, FAILURE_MAX_SPOOL_BYTES + 64);
	failure_record_format(&r, &file);
	if (mf.err || meta.err || file.err) {
		fields_set_cstr(out, "failure_report_error",
		                "failure report larger than FAILURE_MAX_SPOOL_BYTES or out of memory, not written");
		return;
	}
	char err[PATH_MAX + 128];
	if (!spool_write(o->failure_report_dir, st->now, buf_slice(&file), err, sizeof err))
		fields_set(out, "failure_report_error", slice_from_cstr(err), true);
}
