/* orgdom.c — Organizational Domains over libpsl (RFC 7489 3.2) and the
 * RFC 9989 4.10 DNS Tree Walk sequence; see orgdom.h.
 *
 * The libpsl context is per-process state owned by this file: created on
 * first use, never freed (Exim keeps the module loaded for the life of the
 * process), read-only once created.  libpsl answers with pointers into the
 * string it was given; that string is always our arena copy.
 */
#include "orgdom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpsl.h>

#include "domain.h"

static const psl_ctx_t *list_ctx;   /* the list in use, NULL until loaded */
static psl_ctx_t *list_owned;        /* list_ctx when it came from a file */
static bool list_tried;
static const char *list_source = "none";

static bool load(const char *path)
{
	if (list_tried)
		return list_owned != NULL;
	list_tried = true;
	if (!path)
		path = ORGDOM_PSL_FILE;
	list_owned = psl_load_file(path);
	if (list_owned) {
		list_ctx = list_owned;
		if (strcmp(path, ORGDOM_PSL_FILE) == 0) {
			list_source = "file:" ORGDOM_PSL_FILE;
		} else {
			/* Our own configuration string, not message data.  Kept for
			 * the life of the process, like the context. */
			size_t n = strlen(path) + sizeof "file:";
			char *s = malloc(n);
			if (s) {
				snprintf(s, n, "file:%s", path);
				list_source = s;
			} else {
				list_source = "file";
			}
		}
		return true;
	}
	/* The file is missing or unreadable: libpsl's compiled-in list is
	 * older but far better than no list. */
	list_ctx = psl_builtin();
	list_source = list_ctx ? "builtin" : "none";
	return false;
}

bool orgdom_init(const char *path)
{
	return load(path);
}

const char *orgdom_psl_source(void)
{
	load(NULL);
	return list_source;
}

/* domain_normalize() gives false both for an invalid name and for an
 * exhausted arena; the arena's failure is sticky, so a probe tells them
 * apart. */
static bool normalize(struct arena *a, struct slice in, struct slice *out, bool *nomem)
{
	*nomem = false;
	if (domain_normalize(a, in, out))
		return true;
	*nomem = arena_alloc(a, 1) == NULL;
	return false;
}

enum orgdom_kind orgdom_registrable(struct arena *a, struct slice domain, struct slice *out)
{
	*out = SLICE_NULL;
	struct slice d;
	bool nomem;
	if (!normalize(a, domain, &d, &nomem))
		return nomem ? ORGDOM_NOMEM : ORGDOM_INVALID;
	load(NULL);
	if (!list_ctx)
		return ORGDOM_NO_LIST;
	/* d is NUL-terminated (domain_normalize's contract) and holds only
	 * lower-case LDH and '_' bytes, as libpsl expects. */
	const char *r = psl_registrable_domain(list_ctx, d.ptr);
	if (!r || r < d.ptr || r >= d.ptr + d.len) {
		*out = d;
		return ORGDOM_IS_SUFFIX;
	}
	*out = slice_between(r, d.ptr + d.len);
	return ORGDOM_REGISTRABLE;
}

enum orgdom_status orgdom_treewalk(struct arena *a, struct slice domain, struct orgdom_walk *w)
{
	memset(w, 0, sizeof *w);
	struct slice d;
	bool nomem;
	if (!normalize(a, domain, &d, &nomem))
		return nomem ? ORGDOM_E_NOMEM : ORGDOM_E_INVALID;
	w->domain = d;

	size_t x = domain_label_count(d);
	struct slice t[DMARC_TREEWALK_MAX_LABELS];
	size_t n = 0;
	t[n++] = d;
	/* RFC 9989 4.10 step 4: a long name jumps straight to its rightmost
	 * seven labels, so no walk exceeds eight queries (step 7 then removes
	 * one label at a time). */
	size_t next = x >= DMARC_TREEWALK_MAX_LABELS ? DMARC_TREEWALK_MAX_LABELS - 1 : x - 1;
	for (size_t k = next; k >= 1 && n < DMARC_TREEWALK_MAX_LABELS; k--)
		t[n++] = domain_last_labels(d, k);

	static const char prefix[] = "_dmarc.";
	const size_t plen = sizeof prefix - 1;
	for (size_t i = 0; i < n; i++) {
		w->target[i] = t[i];
		if (plen + t[i].len > DOMAIN_MAX_TEXT_NAME) {
			w->query[i] = SLICE_NULL;
			continue;
		}
		char *q = arena_alloc(a, plen + t[i].len + 1);
		if (!q) {
			memset(w, 0, sizeof *w);
			return ORGDOM_E_NOMEM;
		}
		memcpy(q, prefix, plen);
		memcpy(q + plen, t[i].ptr, t[i].len);
		q[plen + t[i].len] = '\0';
		w->query[i] = slice_make(q, plen + t[i].len);
	}
	w->n = n;
	return ORGDOM_OK;
}

const char *orgdom_kind_str(enum orgdom_kind k)
{
	switch (k) {
	case ORGDOM_REGISTRABLE: return "registrable";
	case ORGDOM_IS_SUFFIX: return "public suffix";
	case ORGDOM_INVALID: return "invalid domain";
	case ORGDOM_NO_LIST: return "no public suffix list";
	case ORGDOM_NOMEM: return "out of memory";
	}
	return "unknown";
}
