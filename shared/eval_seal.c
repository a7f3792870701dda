/* eval_seal.c — the ARC set this host adds when it passes a message on
 * (RFC 8617 5.1): the ARC-Authentication-Results carries this evaluation's
 * own Authentication-Results value, the seal's cv= follows the chain state
 * verify just found.  Key, selector and domain come from the options
 * (arc_key, arc_selector, arc_domain).
 *
 * Result: field arc_seal, the three header fields as one block, each with
 * its line end, to be added above every other field (Exim: headers_add in
 * the smtp transport, or add_header = :at_start: in the DATA ACL).  When
 * nothing is added, arc_seal is empty and arc_seal_error says why.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eval_state.h"
#include "mailauth_limits.h"

static bool read_key(struct arena *a, const char *path, struct slice *out, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "arc_key %s: %s", path, strerror(errno));
		return false;
	}
	char *p = arena_alloc(a, EVAL_MAX_KEY_FILE_BYTES);
	size_t len = 0;
	ssize_t n = 0;
	while (p && len < EVAL_MAX_KEY_FILE_BYTES &&
	       (n = read(fd, p + len, EVAL_MAX_KEY_FILE_BYTES - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += (size_t)n;
	}
	int saved = errno;
	close(fd);
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	if (n < 0) {
		snprintf(err, errlen, "arc_key %s: %s", path, strerror(saved));
		return false;
	}
	if (len >= EVAL_MAX_KEY_FILE_BYTES) {
		snprintf(err, errlen, "arc_key %s: larger than %d bytes, not a key", path,
		         EVAL_MAX_KEY_FILE_BYTES);
		return false;
	}
	*out = slice_make(p, len);
	return true;
}

static void seal_error(struct fields *out, const char *why)
{
	fields_set(out, "arc_seal", SLICE_NULL, false);
	fields_set(out, "arc_seal_error", slice_from_cstr(why), true);
}

void eval_seal(struct eval_state *st, struct fields *out)
{
	const struct config *o = st->opts;
	if (!o->arc_selector || !o->arc_domain || !o->arc_key) {
		seal_error(out, "ARC sealing is not configured (arc_selector, arc_domain, arc_key)");
		return;
	}
	if (!st->arc_done || !st->authres_value.ptr) {
		seal_error(out, "the message could not be verified, so it is not sealed");
		return;
	}
	char err[512];
	struct arc_seal_params p;
	memset(&p, 0, sizeof p);
	p.domain = slice_from_cstr(o->arc_domain);
	p.selector = slice_from_cstr(o->arc_selector);
	if (!read_key(st->a, o->arc_key, &p.key_pem, err, sizeof err)) {
		seal_error(out, err);
		return;
	}
	p.lf_only = !st->cfg->crlf;
	struct arc_sealed s;
	const char *detail = NULL;
	struct slice aar = st->cfg->seal_authres.len ? st->cfg->seal_authres : st->authres_value;
	int rc = arc_seal_message(st->a, st->in->msg, &p, &st->arc, aar, st->now, &s, &detail);
	if (rc != ARC_OK) {
		snprintf(err, sizeof err, "ARC sealing failed: %s", detail ? detail : "internal error");
		seal_error(out, err);
		return;
	}
	if (!s.sealed) {
		seal_error(out, s.why);
		return;
	}
	fields_set(out, "arc_seal", s.block, true);
	fields_set(out, "arc_seal_error", SLICE_NULL, false);
}
