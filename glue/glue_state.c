/* glue_state.c — per-process state of the module: the configuration, the
 * resolver, and the results of the current envelope and message; see
 * glue.h for the rules (what is kept, when it is reset).
 *
 * Everything here is owned by this file.  Results live in an arena per
 * evaluation (struct glue_result) and are replaced, never edited, when the
 * envelope or the message changes.  The message's own bytes (header_list in
 * Exim's store, the mapped spool file) are only needed during eval_run() and
 * are released right after it.
 */
#include "glue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ar.h"
#include "dkim.h"
#include "dns.h"
#include "eval.h"

/* Longest message id kept (Exim 4.96 uses 16 characters, 4.97 and later
 * 23); a longer id is never cached. */
#define GLUE_MAX_ID 64

struct glue_result {
	struct arena *arena; /* NULL: nothing evaluated */
	struct fields fs;
	struct glue_envelope key; /* `spf`: the envelope evaluated (copied) */
	char id[GLUE_MAX_ID + 1]; /* `verify`: the message id */
	bool consumed;       /* `spf`: a message was verified since */
};

static struct {
	bool loaded;          /* a configuration file was read (or tried) */
	char *path;           /* the file read (malloc) */
	struct config *cfg;   /* NULL when the file was bad */
	char error[1024];     /* why cfg is NULL */
	char *authserv_id;    /* malloc */
	struct dns_resolver *resolver;
	pid_t resolver_pid;
	char *hostname;       /* primary_hostname (malloc): SPF receiver, history reporter */
	struct dkim_key_cache *keys; /* DKIM and ARC keys, per process */
	pid_t keys_pid;
	struct glue_result env, msg;
} G;

static struct fields glue_empty;

const char *const glue_temperror_fields[] = {
	"spf_result",
	"dkim_verify_status",
	"dmarc_status",
	"arc_state",
};
const size_t glue_n_temperror_fields = sizeof glue_temperror_fields / sizeof glue_temperror_fields[0];

/* When even an arena cannot be had: temperror for every result, from static
 * memory. */
static struct field glue_oom_field[] = {
	{ "spf_result", { "temperror", 9 }, false },
	{ "dkim_verify_status", { "temperror", 9 }, false },
	{ "dmarc_status", { "temperror", 9 }, false },
	{ "arc_state", { "temperror", 9 }, false },
	{ "mailauth_error", { "out of memory", 13 }, false },
};
static struct fields glue_oom = { NULL, glue_oom_field, 5, 5, true };

/* ---- results ---- */

static void result_reset(struct glue_result *r)
{
	if (r->arena)
		arena_free(r->arena);
	memset(r, 0, sizeof *r);
}

static bool result_begin(struct glue_result *r)
{
	result_reset(r);
	r->arena = arena_new(0);
	if (!r->arena)
		return false;
	fields_init(&r->fs, r->arena);
	return true;
}

/* The envelope's result fields become temperror, with the reason. */
static void set_temperror(struct fields *fs, bool message, const char *why)
{
	for (size_t i = 0; i < glue_n_temperror_fields; i++)
		if (message || i == 0)
			fields_set_cstr(fs, glue_temperror_fields[i], "temperror");
	/* Nothing built from an unfinished evaluation may leave: no
	 * Authentication-Results with half the results, no ARC set. */
	if (fields_get(fs, SLICE_LIT("authentication_results")))
		fields_set(fs, "authentication_results", SLICE_NULL, false);
	if (fields_get(fs, SLICE_LIT("arc_seal"))) {
		fields_set(fs, "arc_seal", SLICE_NULL, false);
		fields_set_cstr(fs, "arc_seal_error", why);
	}
	fields_set(fs, "mailauth_error", slice_from_cstr(why), true);
}

/* ---- configuration ---- */

static void resolver_drop(void)
{
	/* A context created before a fork() belongs to the parent (its threads
	 * and sockets); the child leaves it alone. */
	if (G.resolver && G.resolver_pid == getpid())
		dns_resolver_free(G.resolver);
	G.resolver = NULL;
}

static void load(const char *path, bool missing_ok)
{
	struct config *c = NULL;
	char err[sizeof G.error - 32];
	enum config_status st = config_load(&c, path, missing_ok, err, sizeof err);

	config_free(G.cfg);
	G.cfg = NULL;
	free(G.path);
	G.path = strdup(path);
	G.loaded = true;
	G.error[0] = '\0';
	if (st == CONFIG_OK) {
		G.cfg = c;
		glue_debug("configuration %s loaded", c->source);
	} else {
		snprintf(G.error, sizeof G.error, "configuration error: %s", err);
		glue_log("%s; results are temperror until it is fixed", G.error);
	}

	free(G.authserv_id);
	free(G.hostname);
	struct slice h = glue_expand("$primary_hostname");
	G.hostname = strndup(h.ptr && h.len ? h.ptr : "localhost", h.ptr && h.len ? h.len : 9);
	G.authserv_id = G.cfg && G.cfg->authserv_id ? strdup(G.cfg->authserv_id)
	                                            : (G.hostname ? strdup(G.hostname) : NULL);

	/* A new file may name another resolver; earlier results were made
	 * under the old settings. */
	resolver_drop();
	result_reset(&G.env);
	result_reset(&G.msg);
}

bool glue_config_select(const char *path, const char **why)
{
	if (!(G.loaded && G.cfg && G.path && strcmp(G.path, path) == 0))
		load(path, false);
	*why = G.cfg ? NULL : G.error;
	return G.cfg != NULL;
}

const struct config *glue_config(const char **why)
{
	if (!G.loaded)
		load(CONFIG_DEFAULT_PATH, true);
	if (why)
		*why = G.cfg ? NULL : G.error;
	return G.cfg;
}

struct slice glue_authserv_id(void)
{
	glue_config(NULL);
	return slice_from_cstr(G.authserv_id ? G.authserv_id : "localhost");
}

/* ---- evaluation ---- */

static struct dns_resolver *resolver_get(char *err, size_t errlen)
{
	if (G.resolver && G.resolver_pid != getpid())
		G.resolver = NULL;
	if (!G.resolver) {
		G.resolver = dns_resolver_new(G.cfg->resolver, err, errlen);
		G.resolver_pid = getpid();
	}
	return G.resolver;
}

/* The per-process key cache (a child after fork() starts its own: the
 * parent's belongs to the parent). */
static struct dkim_key_cache *keys_get(void)
{
	if (!G.keys || G.keys_pid != getpid()) {
		G.keys = dkim_key_cache_new();
		G.keys_pid = getpid();
	}
	return G.keys;
}

/* In a transport (ARC sealing at delivery) the message is evaluated again
 * in the delivery process: that must neither write a second history record
 * nor remove the Authentication-Results the DATA ACL added. */
static bool in_transport(void)
{
	return glue_expand("$transport_name").len != 0;
}

static void eval_settings(struct eval_config *ec, bool message)
{
	eval_config_defaults(ec);
	ec->authserv_id = G.authserv_id;
	ec->receiver = G.hostname;
	ec->opts = G.cfg;
	ec->dns_budget_ms = G.cfg->dns_timeout_ms;
	ec->key_cache = keys_get();
	if (message) {
		bool transport = in_transport();
		ec->seal = G.cfg->arc_selector && G.cfg->arc_domain && G.cfg->arc_key;
		ec->write_history = G.cfg->history_file != NULL;
		ec->at_delivery = transport;
		/* Sealing at delivery: the message may have been changed since
		 * it was received (an ACL, a system filter), so the AAR carries
		 * the results our DATA ACL recorded then, not a new look at the
		 * changed message. */
		if (ec->seal && transport)
			ec->seal_authres = glue_own_authres(glue_authserv_id());
	}
}

static void input_from_envelope(struct eval_input *in, const struct glue_envelope *e)
{
	memset(in, 0, sizeof *in);
	in->have_ip = e->have_ip;
	in->ip = e->ip;
	in->have_helo = e->have_helo;
	in->helo = e->helo;
	in->have_mail_from = e->have_mail_from;
	in->mail_from = e->mail_from;
	in->now = (uint64_t)time(NULL);
}

static bool key_eq(const struct glue_envelope *a, const struct glue_envelope *b)
{
	return a->have_ip == b->have_ip && a->have_helo == b->have_helo &&
	       a->have_mail_from == b->have_mail_from && slice_eq(a->ip, b->ip) &&
	       slice_eq(a->helo, b->helo) && slice_eq(a->mail_from, b->mail_from);
}

static bool key_copy(struct arena *a, struct glue_envelope *dst, const struct glue_envelope *src)
{
	*dst = *src;
	dst->ip = arena_slice_dup(a, src->ip);
	dst->helo = arena_slice_dup(a, src->helo);
	dst->mail_from = arena_slice_dup(a, src->mail_from);
	return dst->ip.ptr && dst->helo.ptr && dst->mail_from.ptr;
}

/* Run eval_run() into r; on any failure the result fields become
 * temperror and the reason is logged. */
static void run(struct glue_result *r, const struct eval_input *in, bool message)
{
	char err[512] = "";
	struct dns_resolver *res = resolver_get(err, sizeof err);
	if (!res) {
		char why[700];
		snprintf(why, sizeof why, "resolver '%s': %s", G.cfg->resolver, err);
		glue_log("%s", why);
		set_temperror(&r->fs, message, why);
		return;
	}
	struct eval_config ec;
	eval_settings(&ec, message);
	if (eval_run(res, r->arena, &ec, in, &r->fs) != 0 || r->fs.err) {
		glue_log("internal error while evaluating%s%s (out of memory?); results are temperror",
		         message ? " message " : "", message ? r->id : "");
		set_temperror(&r->fs, message, "internal error");
		return;
	}
	/* The words `spf` and `verify` return must also be what `get` shows.
	 * An evaluation that set no SPF result could not check SPF: that is
	 * never a pass (temperror, the safe word); no DMARC status means DMARC
	 * was not checked (Exim's word for that is "off"). */
	if (!fields_get(&r->fs, SLICE_LIT("spf_result")))
		fields_set_cstr(&r->fs, "spf_result", "temperror");
	if (message && !fields_get(&r->fs, SLICE_LIT("dmarc_status")))
		fields_set_cstr(&r->fs, "dmarc_status", "off");
	const struct field *he = fields_get(&r->fs, SLICE_LIT("history_error"));
	if (he && he->value.len)
		glue_log("message %s: DMARC history record not written: %.*s", r->id,
		         (int)(he->value.len > 300 ? 300 : he->value.len), he->value.ptr);
	const struct field *fe = fields_get(&r->fs, SLICE_LIT("failure_report_error"));
	if (fe && fe->value.len)
		glue_log("message %s: DMARC failure report not queued: %.*s", r->id,
		         (int)(fe->value.len > 300 ? 300 : fe->value.len), fe->value.ptr);
	const struct field *se = fields_get(&r->fs, SLICE_LIT("arc_seal_error"));
	if (ec.seal && se && se->value.len)
		glue_debug("message %s: no ARC set: %.*s", r->id, (int)se->value.len, se->value.ptr);
}

static const struct fields *or_oom(struct glue_result *r)
{
	return r->arena && !r->fs.err ? &r->fs : &glue_oom;
}

const struct fields *glue_spf(const struct glue_envelope *e)
{
	const char *why;
	const struct config *cfg = glue_config(&why);
	if (G.env.arena && !G.env.consumed && cfg && key_eq(&G.env.key, e)) {
		glue_debug("spf: envelope unchanged, result reused");
		return &G.env.fs;
	}
	if (!result_begin(&G.env) || !key_copy(G.env.arena, &G.env.key, e))
		return or_oom(&G.env);
	if (!cfg) {
		set_temperror(&G.env.fs, false, why);
		return or_oom(&G.env);
	}
	struct eval_input in;
	input_from_envelope(&in, &G.env.key);
	run(&G.env, &in, false);
	glue_debug("spf: ip=%.*s helo=%.*s mail_from=<%.*s> evaluated", (int)e->ip.len,
	           e->have_ip ? e->ip.ptr : "", (int)e->helo.len, e->have_helo ? e->helo.ptr : "",
	           (int)e->mail_from.len, e->have_mail_from ? e->mail_from.ptr : "");
	return or_oom(&G.env);
}

/* Printable text for a log line: other bytes become '?', at most max. */
static void log_word(struct buf *b, const struct fields *fs, const char *name)
{
	const struct field *f = fields_get(fs, slice_from_cstr(name));
	buf_addf(b, " %s=", name);
	if (!f || !f->value.len) {
		buf_add_byte(b, '-');
		return;
	}
	size_t n = f->value.len > 64 ? 64 : f->value.len;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)f->value.ptr[i];
		buf_add_byte(b, c > 0x20 && c < 0x7f ? (char)c : '?');
	}
}

static void log_results(const struct glue_result *r)
{
	struct buf b;
	buf_init(&b, r->arena, 1024);
	for (size_t i = 0; i < glue_n_temperror_fields; i++)
		log_word(&b, &r->fs, glue_temperror_fields[i]);
	glue_log("%s%s", r->id, buf_cstr(&b));
}

const struct fields *glue_verify(int data_fd)
{
	if (!glue_in_message())
		return NULL;
	struct slice id = glue_message_id();
	if (G.msg.arena && slice_eq(id, slice_from_cstr(G.msg.id)))
		return or_oom(&G.msg);

	const char *why;
	const struct config *cfg = glue_config(&why);
	if (!result_begin(&G.msg))
		return &glue_oom;
	if (id.len <= GLUE_MAX_ID) {
		memcpy(G.msg.id, id.ptr, id.len);
		G.msg.id[id.len] = '\0';
	}
	/* The envelope results of this transaction are not reused for the
	 * next one. */
	G.env.consumed = true;

	if (!cfg) {
		set_temperror(&G.msg.fs, true, why);
	} else {
		struct arena *ma = arena_new(0);
		char err[600];
		struct msg m;
		struct slice body;
		bool wire = false;
		if (!ma) {
			set_temperror(&G.msg.fs, true, "out of memory");
		} else if (!glue_spool_body(ma, data_fd, &body, &wire, err, sizeof err)) {
			glue_log("message %s: %s; results are temperror", G.msg.id, err);
			set_temperror(&G.msg.fs, true, err);
		} else {
			enum msg_status st = glue_headers_to_msg(&m, ma);
			msg_set_body(&m, body);
			glue_debug("verify %s: %zu header fields, body %zu bytes%s", G.msg.id, m.nhdr,
			           body.len, wire ? " (wire format, converted to LF)" : "");
			struct glue_envelope e;
			glue_envelope_from_exim(&e);
			struct eval_input in;
			input_from_envelope(&in, &e);
			in.msg = &m;
			in.msg_truncated = st == MSG_E_TOO_MANY_HEADERS || st == MSG_E_HEADER_TOO_BIG ||
			                   st == MSG_E_LINE_TOO_LONG;
			in.job = slice_from_cstr(G.msg.id);
			if (st == MSG_E_NOMEM) {
				glue_log("message %s: out of memory reading the header; results are "
				         "temperror", G.msg.id);
				set_temperror(&G.msg.fs, true, "out of memory");
			} else {
				if (st != MSG_OK)
					glue_log("message %s: %s; DMARC says reject", G.msg.id,
					         msg_status_str(st));
				run(&G.msg, &in, true);
			}
		}
		arena_free(ma);
	}

	size_t removed = in_transport() ? 0 : glue_remove_forged_authres(glue_authserv_id());
	if (removed)
		glue_log("message %s: removed %zu Authentication-Results field%s claiming our "
		         "authserv-id", G.msg.id, removed, removed == 1 ? "" : "s");
	if (G.msg.fs.err)
		return &glue_oom;
	if ((cfg && cfg->log_results) || glue_debugging())
		log_results(&G.msg);
	return &G.msg.fs;
}

const struct fields *glue_results(void)
{
	if (glue_in_message()) {
		const struct fields *f = glue_verify(-1);
		if (f)
			return f;
	}
	if (G.env.arena && !G.env.consumed)
		return or_oom(&G.env);
	return &glue_empty;
}

struct slice glue_authres(const struct fields *fs, struct arena *a)
{
	const struct field *f = fields_get(fs, SLICE_LIT("authentication_results"));
	if (f && f->value.len)
		return f->value;
	/* RFC 8601 2.2 no-result: "none" under our authserv-id. */
	struct ar_builder w;
	ar_begin(&w, a, glue_authserv_id(), false);
	return ar_finish(&w);
}

/* ---- field names ---- */

/* The documented fields (DESIGN.md, README): `get` accepts these even when
 * the current evaluation did not set them (the value is then empty). */
static const char *const glue_known_fields[] = {
	"spf_result", "spf_received", "spf_header_comment", "spf_smtp_comment",
	"dkim_verify_status", "dkim_verify_reason", "dkim_signers",
	"dmarc_status", "dmarc_status_text", "dmarc_used_domain", "dmarc_domain_policy",
	"arc_state", "arc_state_reason", "arc_domains", "arc_oldest_pass",
	"authentication_results", "arc_seal", "arc_seal_error", "body_bytes", "header_count",
	"message_error", "mailauth_error", "history_error", "failure_report_error",
	"spf_used_domain", "spf_mechanism", "spf_reason", "spf_helo_result", "spf_helo_domain",
	"from_status", "from_reason", "from_domains", "from_org_domains",
	"dkim_signatures", "dkim_results",
	"dmarc_result", "dmarc_reason", "dmarc_author_domain", "dmarc_org_domain",
	"dmarc_policy_found_at", "dmarc_policy_tag", "dmarc_policy", "dmarc_disposition",
	"dmarc_spf_aligned", "dmarc_dkim_aligned", "dmarc_dkim_aligned_domain",
	"dmarc_spf_domain", "dmarc_aspf", "dmarc_adkim", "dmarc_testing", "dmarc_override",
	"dmarc_override_comment", "dmarc_discovery", "dmarc_tree_walk", "dmarc_rua",
	"dmarc_pct",
};

bool glue_field_known(const struct fields *fs, struct slice name)
{
	for (size_t i = 0; i < sizeof glue_known_fields / sizeof glue_known_fields[0]; i++)
		if (slice_eq(name, slice_from_cstr(glue_known_fields[i])))
			return true;
	return fields_get(fs, name) != NULL;
}
