/* local_scan.c — local_scan() for Debian's `local_scan_path` (Exim's
 * DLOPEN_LOCAL_SCAN): authenticate every message without touching the ACLs.
 *
 *   local_scan_path = /usr/lib/exim4/mailauth.so
 *
 * It runs the same evaluation as `verify` (reusing it when an ACL already
 * called `verify` for this message), adds our Authentication-Results field
 * at the top (local_scan_authres, unless an ACL already added one), and
 * acts on dmarc_status only as mailauth.conf says: local_scan_dmarc_reject,
 * local_scan_dmarc_quarantine and local_scan_temperror (all "accept" by
 * default, so out of the box it only labels mail).  Exim loads the library
 * once per process and checks local_scan_version_major/minor first. */
#include <local_scan.h>

#include "exports.h"
#include "glue.h"

int local_scan_version_major(void)
{
	return LOCAL_SCAN_ABI_VERSION_MAJOR;
}

int local_scan_version_minor(void)
{
	return LOCAL_SCAN_ABI_VERSION_MINOR;
}

static bool field_is(const struct fields *fs, const char *name, const char *word)
{
	const struct field *f = fields_get(fs, slice_from_cstr(name));
	return f && slice_eq(f->value, slice_from_cstr(word));
}

/* The SMTP text for a rejection: fixed words plus the policy domain, which
 * comes from the message, so only letters, digits, '.', '-' and '_' of it
 * are kept. */
static uschar *reject_text(const struct fields *fs, const char *what)
{
	struct arena *a = arena_new(0);
	if (!a)
		return NULL;
	struct buf b;
	buf_init(&b, a, 1024);
	buf_add_cstr(&b, what);
	const struct field *d = fields_get(fs, SLICE_LIT("dmarc_used_domain"));
	if (d && d->value.len) {
		buf_add_cstr(&b, " (");
		for (size_t i = 0; i < d->value.len && i < 253; i++) {
			char c = d->value.ptr[i];
			bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			          (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
			buf_add_byte(&b, ok ? c : '?');
		}
		buf_add_byte(&b, ')');
	}
	uschar *t = glue_copy_out(buf_slice(&b), true);
	arena_free(a);
	return t;
}

static int act(enum config_action action, uschar **return_text, const struct fields *fs,
               const char *what)
{
	switch (action) {
	case CONFIG_ACTION_ACCEPT:
		return LOCAL_SCAN_ACCEPT;
	case CONFIG_ACTION_FREEZE:
		glue_log("message %s frozen: %s", (const char *)message_id, what);
		return LOCAL_SCAN_ACCEPT_FREEZE;
	case CONFIG_ACTION_DEFER:
		*return_text = reject_text(fs, what);
		return LOCAL_SCAN_TEMPREJECT;
	case CONFIG_ACTION_REJECT:
		*return_text = reject_text(fs, what);
		return LOCAL_SCAN_REJECT;
	}
	return LOCAL_SCAN_ACCEPT;
}

int local_scan(int fd, uschar **return_text)
{
	const struct fields *fs = glue_verify(fd);
	if (!fs)
		return LOCAL_SCAN_ACCEPT;
	const struct config *cfg = glue_config(NULL);
	/* A bad file: its settings are unknown, so the defaults apply. */
	struct config *defaults = NULL;
	if (!cfg)
		cfg = defaults = config_defaults();
	int rc = LOCAL_SCAN_ACCEPT;
	if (cfg) {
		struct slice id = glue_authserv_id();
		if (cfg->local_scan_authres && !glue_has_authres(id)) {
			struct arena *a = arena_new(0);
			struct slice h = a ? glue_authres(fs, a) : SLICE_NULL;
			if (h.ptr)
				glue_add_header_top(h);
			else
				glue_log("message %s: out of memory, no Authentication-Results added",
				         (const char *)message_id);
			arena_free(a);
		}
		if (field_is(fs, "dmarc_status", "reject"))
			rc = act(cfg->local_scan_dmarc_reject, return_text, fs,
			         "rejected by the DMARC policy of the From domain");
		else if (field_is(fs, "dmarc_status", "quarantine"))
			rc = act(cfg->local_scan_dmarc_quarantine, return_text, fs,
			         "DMARC policy of the From domain says quarantine");
		else if (field_is(fs, "dmarc_status", "temperror"))
			rc = act(cfg->local_scan_temperror, return_text, fs,
			         "temporary error while authenticating the message, try again later");
	}
	config_free(defaults);
	return rc;
}
