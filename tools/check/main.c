/* mailauth-check — evaluate one message from the command line, exactly as
 * the Exim module would, and print the results (text or JSON).
 *
 *   mailauth-check [--config FILE] [--zone FILE | --resolver SPEC] [--ip ADDR]
 *                  [--helo NAME] [--mail-from ADDR] [--authserv-id ID]
 *                  [--now EPOCH] [--seal SELECTOR:DOMAIN:KEYFILE]
 *                  [--history FILE] [--job ID] [--failure-dir DIR] [--json]
 *                  [MESSAGE | -]
 *   mailauth-check [--zone FILE | --resolver SPEC] --query TYPE NAME
 *
 * Exit status: 0 evaluated (whatever the verdicts), 1 internal failure,
 * 2 bad usage or unreadable input (with a message naming the problem).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "config.h"
#include "dns.h"
#include "eval.h"
#include "fields.h"
#include "json.h"
#include "mailauth_limits.h"
#include "msg.h"
#include "version.h"

#define EXIT_EVALUATED 0
#define EXIT_INTERNAL 1
#define EXIT_USAGE 2

struct cli {
	const char *config_file;
	const char *resolver;
	bool resolver_given;
	char *seal;                 /* "selector:domain:keyfile", split in place */
	const char *history, *job;
	const char *failure_dir;    /* --failure-dir: failure reports on, spooled there */
	bool record;                /* --record: write what the configuration names */
	const char *ip, *helo, *mail_from, *authserv_id;
	const char *query_type, *query_name;
	const char *message;
	unsigned long long now;
	bool json;
};

static void usage(FILE *f)
{
	fputs("usage: mailauth-check [--config FILE] [--zone FILE | --resolver SPEC] [--ip ADDR]\n"
	      "                      [--helo NAME] [--mail-from ADDR] [--authserv-id ID]\n"
	      "                      [--now EPOCH] [--seal SELECTOR:DOMAIN:KEYFILE]\n"
	      "                      [--history FILE] [--job ID] [--json] [MESSAGE | -]\n"
	      "       mailauth-check [--zone FILE | --resolver SPEC] --query TYPE NAME\n"
	      "       mailauth-check --version\n"
	      "\n"
	      "  --resolver SPEC   system (default) | forward:ADDR[@PORT] | unbound:/path.conf\n"
	      "                    | zone:/path/file\n"
	      "  --zone FILE       short for --resolver zone:FILE\n"
	      "  --config FILE     the module's configuration file (default: none, defaults)\n"
	      "  --seal S:D:KEY    also print the ARC set to add (field arc_seal)\n"
	      "  --history FILE    append the DMARC history record, as the module does\n"
	      "  --job ID          message id written to the history record\n"
	      "  --record          write the history record and failure report that the\n"
	      "                    --config file names (without it, the tool writes none)\n"
	      "  --failure-dir DIR write the DMARC failure report spool file, as the\n"
	      "                    module does with failure_reports = yes and\n"
	      "                    failure_report_dir = DIR\n"
	      "  --mail-from ''    is the null sender\n",
	      f);
}

static int die_usage(const char *fmt, const char *arg)
{
	fputs("mailauth-check: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

static bool parse_now(const char *s, unsigned long long *out)
{
	uint64_t v;
	if (!slice_parse_u64(slice_from_cstr(s), UINT64_MAX / 1000, &v))
		return false;
	*out = v;
	return true;
}

static int parse_args(int argc, char **argv, struct cli *c)
{
	static char zone_spec[4096];
	enum { O_ZONE = 256, O_RESOLVER, O_IP, O_HELO, O_MAILFROM, O_AUTHSERV, O_NOW, O_JSON,
	       O_QUERY, O_VERSION, O_HELP, O_CONFIG, O_SEAL, O_HISTORY, O_JOB, O_FAILDIR,
	       O_RECORD };
	static const struct option opts[] = {
		{ "zone", required_argument, NULL, O_ZONE },
		{ "resolver", required_argument, NULL, O_RESOLVER },
		{ "ip", required_argument, NULL, O_IP },
		{ "helo", required_argument, NULL, O_HELO },
		{ "mail-from", required_argument, NULL, O_MAILFROM },
		{ "authserv-id", required_argument, NULL, O_AUTHSERV },
		{ "now", required_argument, NULL, O_NOW },
		{ "json", no_argument, NULL, O_JSON },
		{ "query", required_argument, NULL, O_QUERY },
		{ "version", no_argument, NULL, O_VERSION },
		{ "help", no_argument, NULL, O_HELP },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "seal", required_argument, NULL, O_SEAL },
		{ "history", required_argument, NULL, O_HISTORY },
		{ "record", no_argument, NULL, O_RECORD },
		{ "job", required_argument, NULL, O_JOB },
		{ "failure-dir", required_argument, NULL, O_FAILDIR },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	memset(c, 0, sizeof *c);
	c->resolver = "system";
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case O_ZONE:
			if ((size_t)snprintf(zone_spec, sizeof zone_spec, "zone:%s", optarg) >=
			    sizeof zone_spec)
				return die_usage("--zone: path too long: %s", optarg);
			c->resolver = zone_spec;
			c->resolver_given = true;
			break;
		case O_RESOLVER: c->resolver = optarg; c->resolver_given = true; break;
		case O_CONFIG: c->config_file = optarg; break;
		case O_SEAL: c->seal = optarg; break;
		case O_HISTORY: c->history = optarg; break;
		case O_RECORD: c->record = true; break;
		case O_JOB: c->job = optarg; break;
		case O_FAILDIR: c->failure_dir = optarg; break;
		case O_IP: c->ip = optarg; break;
		case O_HELO: c->helo = optarg; break;
		case O_MAILFROM: c->mail_from = optarg; break;
		case O_AUTHSERV: c->authserv_id = optarg; break;
		case O_NOW:
			if (!parse_now(optarg, &c->now))
				return die_usage("--now wants seconds since the epoch, not '%s'", optarg);
			break;
		case O_JSON: c->json = true; break;
		case O_QUERY: c->query_type = optarg; break;
		case O_VERSION: {
			struct arena *a = arena_new(0);
			struct buf b;
			buf_init(&b, a, 4096);
			version_describe(&b);
			puts(buf_cstr(&b));
			arena_free(a);
			exit(EXIT_EVALUATED);
		}
		case O_HELP:
			usage(stdout);
			exit(EXIT_EVALUATED);
		default:
			usage(stderr);
			if (optopt || ch == '?')
				return die_usage("unknown or incomplete option: %s", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (c->query_type) {
		if (optind + 1 != argc)
			return die_usage("--query wants TYPE NAME%s", "");
		c->query_name = argv[optind];
		return -1;
	}
	if (optind < argc - 1)
		return die_usage("more than one message given (%s ...)", argv[optind + 1]);
	c->message = optind < argc ? argv[optind] : "-";
	return -1;
}

static int do_query(struct dns_resolver *r, const struct cli *c)
{
	enum dns_type t;
	if (!dns_type_parse(slice_from_cstr(c->query_type), &t))
		return die_usage("--query: unknown record type '%s'", c->query_type);
	struct arena *a = arena_new(0);
	if (!a)
		return EXIT_INTERNAL;
	struct dns_answer *ans = dns_query(r, a, t, slice_from_cstr(c->query_name),
	                                   dns_now_ms() + DNS_DEFAULT_BUDGET_MS);
	if (!ans) {
		arena_free(a);
		return EXIT_INTERNAL;
	}
	if (c->json) {
		printf("{\"name\":");
		json_write_string(stdout, slice_from_cstr(c->query_name));
		printf(",\"type\":\"%s\",\"status\":\"%s\",\"security\":\"%s\",\"data\":[",
		       dns_type_str(t), dns_status_str(ans->status), dns_security_str(ans->security));
	} else {
		printf("%s %s: %s (%s)\n", c->query_name, dns_type_str(t), dns_status_str(ans->status),
		       dns_security_str(ans->security));
	}
	for (size_t i = 0; i < ans->n; i++) {
		const struct dns_rr *rr = &ans->rr[i];
		char text[64];
		struct slice shown = rr->name.len ? rr->name : rr->data;
		if (t == DNS_T_A && rr->data.len == 4) {
			const unsigned char *b = (const unsigned char *)rr->data.ptr;
			snprintf(text, sizeof text, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
			shown = slice_from_cstr(text);
		} else if (t == DNS_T_AAAA && rr->data.len == 16) {
			const unsigned char *b = (const unsigned char *)rr->data.ptr;
			size_t o = 0;
			for (int k = 0; k < 16; k += 2)
				o += (size_t)snprintf(text + o, sizeof text - o, "%s%x", k ? ":" : "",
				                      (unsigned)(b[k] << 8 | b[k + 1]));
			shown = slice_from_cstr(text);
		}
		if (c->json) {
			if (i)
				putchar(',');
			if (t == DNS_T_MX)
				printf("{\"pref\":%u,\"exchange\":", rr->pref);
			json_write_string(stdout, shown);
			if (t == DNS_T_MX)
				putchar('}');
		} else {
			fputs("  ", stdout);
			if (t == DNS_T_MX)
				printf("%u ", rr->pref);
			json_write_string(stdout, shown);
			putchar('\n');
		}
	}
	if (c->json)
		printf("]}\n");
	arena_free(a);
	return EXIT_EVALUATED;
}

static void print_fields(const struct fields *fs, bool json)
{
	if (json) {
		putchar('{');
		for (size_t i = 0; i < fs->n; i++) {
			if (i)
				putchar(',');
			json_write_string(stdout, slice_from_cstr(fs->f[i].name));
			putchar(':');
			json_write_string(stdout, fs->f[i].value);
		}
		puts("}");
		return;
	}
	for (size_t i = 0; i < fs->n; i++) {
		const struct field *f = &fs->f[i];
		printf("%-24s ", f->name);
		/* Multi-line values (headers) are printed as they are. */
		fwrite(f->value.ptr, 1, f->value.len, stdout);
		putchar('\n');
	}
}

/* --seal SELECTOR:DOMAIN:KEYFILE into the options (the key file name may
 * itself hold colons). */
static bool apply_seal(struct config *o, char *spec)
{
	char *c1 = strchr(spec, ':');
	char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c1 || !c2 || c1 == spec || c2 == c1 + 1 || !c2[1])
		return false;
	*c1 = *c2 = '\0';
	o->arc_selector = spec;
	o->arc_domain = c1 + 1;
	o->arc_key = c2 + 1;
	return true;
}

static int do_evaluate(struct dns_resolver *r, const struct cli *c, struct config *opts)
{
	struct arena *a = arena_new(0);
	if (!a)
		return EXIT_INTERNAL;
	struct msg m;
	char err[512] = "";
	enum msg_status st = msg_load_file(&m, a, c->message, err, sizeof err);
	if (st == MSG_E_IO) {
		fprintf(stderr, "mailauth-check: %s\n", err);
		arena_free(a);
		return EXIT_USAGE;
	}
	struct eval_config cfg;
	eval_config_defaults(&cfg);
	cfg.opts = opts;
	if (opts->authserv_id)
		cfg.authserv_id = opts->authserv_id;
	if (c->authserv_id)
		cfg.authserv_id = c->authserv_id;
	cfg.seal = c->seal != NULL;
	/* Records that reports are made from are written only when asked
	 * for (--history, --failure-dir, --record), never just because a
	 * production mailauth.conf given with --config names its files. */
	cfg.write_history = c->history != NULL || (c->record && opts->history_file);
	cfg.history_file = c->history;
	struct eval_input in = { 0 };
	in.msg = &m;
	in.job = slice_from_cstr(c->job ? c->job : "mailauth-check");
	in.now = c->now ? c->now : (unsigned long long)time(NULL);
	if (c->ip) {
		in.have_ip = true;
		in.ip = slice_from_cstr(c->ip);
	}
	if (c->helo) {
		in.have_helo = true;
		in.helo = slice_from_cstr(c->helo);
	}
	if (c->mail_from) {
		in.have_mail_from = true;
		in.mail_from = slice_from_cstr(c->mail_from);
	}
	struct fields fs;
	fields_init(&fs, a);
	if (st != MSG_OK)
		fields_set_cstr(&fs, "message_error", msg_status_str(st));
	in.msg_truncated = st == MSG_E_TOO_MANY_HEADERS || st == MSG_E_HEADER_TOO_BIG ||
	                   st == MSG_E_LINE_TOO_LONG;
	int rc = eval_run(r, a, &cfg, &in, &fs);
	print_fields(&fs, c->json);
	const struct field *he = fields_get(&fs, SLICE_LIT("history_error"));
	const struct field *se = fields_get(&fs, SLICE_LIT("arc_seal_error"));
	const struct field *fe = fields_get(&fs, SLICE_LIT("failure_report_error"));
	if (fe && fe->value.len)
		fprintf(stderr, "mailauth-check: failure report not written: %.*s\n",
		        (int)fe->value.len, fe->value.ptr);
	if (he && he->value.len)
		fprintf(stderr, "mailauth-check: history not written: %.*s\n", (int)he->value.len,
		        he->value.ptr);
	if (c->seal && se && se->value.len)
		fprintf(stderr, "mailauth-check: not sealed: %.*s\n", (int)se->value.len, se->value.ptr);
	bool ok = rc == 0 && !fs.err && !(he && he->value.len) && !(fe && fe->value.len);
	arena_free(a);
	return ok ? EXIT_EVALUATED : EXIT_INTERNAL;
}

int main(int argc, char **argv)
{
	struct cli c;
	int rc = parse_args(argc, argv, &c);
	if (rc >= 0)
		return rc;
	char err[512] = "";
	struct config *opts = NULL;
	if (c.config_file) {
		if (config_load(&opts, c.config_file, false, err, sizeof err) != CONFIG_OK) {
			fprintf(stderr, "mailauth-check: %s\n", err);
			return EXIT_USAGE;
		}
	} else if (!(opts = config_defaults())) {
		return EXIT_INTERNAL;
	}
	if (!c.resolver_given)
		c.resolver = opts->resolver;
	if (c.seal && !apply_seal(opts, c.seal)) {
		config_free(opts);
		return die_usage("--seal wants SELECTOR:DOMAIN:KEYFILE, not '%s'", c.seal);
	}
	/* Failure reports only with --failure-dir or --record (see
	 * do_evaluate). */
	if (c.failure_dir) {
		opts->failure_reports = true;
		opts->failure_report_dir = c.failure_dir;
	} else if (!c.record) {
		opts->failure_reports = false;
	}
	struct dns_resolver *r = dns_resolver_new(c.resolver, err, sizeof err);
	if (!r) {
		fprintf(stderr, "mailauth-check: resolver '%s': %s\n", c.resolver, err);
		config_free(opts);
		return EXIT_USAGE;
	}
	rc = c.query_type ? do_query(r, &c) : do_evaluate(r, &c, opts);
	dns_resolver_free(r);
	config_free(opts);
	return rc;
}
