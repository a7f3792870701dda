/* fuzz_config.c — fuzz target for the configuration file parser
 * (config_parse and config_format in shared/config.h).  The file is the
 * administrator's, not an attacker's, but it is read by the Exim process
 * and a crash there takes mail down.  The input is a whole mailauth.conf.
 *
 * Properties checked (from config.h): failure leaves no configuration and
 * a NUL-terminated "SOURCE:LINE: ..." message; what config_format()
 * prints for a parsed configuration parses again and prints the same
 * (the documented round trip); list and network lookups on any text
 * stay in bounds.  Everything is freed with config_free().
 * Corpus: tests/fuzz/corpus/config.  Ownership: tests/fuzz (fuzz harness).
 */
#include <string.h>

#include "config.h"
#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c = NULL;
	char err[512];
	memset(err, 'x', sizeof err);
	enum config_status st = config_parse(&c, "fuzz.conf", fuzz_input(data, size), err, sizeof err);
	FUZZ_CHECK(st == CONFIG_OK || st == CONFIG_E_SYNTAX || st == CONFIG_E_NOMEM);
	if (st != CONFIG_OK) {
		FUZZ_CHECK(c == NULL);
		FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL);
		if (st == CONFIG_E_SYNTAX)
			FUZZ_CHECK(strncmp(err, "fuzz.conf:", 10) == 0);
		return 0;
	}
	FUZZ_CHECK(c != NULL);
	struct arena *a = arena_new(0);
	if (!a) {
		config_free(c);
		return 0;
	}
	struct buf f1;
	buf_init(&f1, a, 1024 * 1024);
	config_format(c, &f1);
	if (!f1.err) {
		struct config *c2 = NULL;
		enum config_status st2 = config_parse(&c2, "formatted", buf_slice(&f1), err, sizeof err);
		if (st2 != CONFIG_E_NOMEM) {
			if (st2 != CONFIG_OK) {
				fprintf(stderr, "config_format output does not parse: %s\n", err);
				FUZZ_CHECK(!"config_format output parses again");
			}
			struct buf f2;
			buf_init(&f2, a, 1024 * 1024);
			config_format(c2, &f2);
			if (!f2.err)
				FUZZ_CHECK(slice_eq(buf_slice(&f1), buf_slice(&f2)));
			config_free(c2);
		}
	}
	/* Lookups take text from messages (client IPs, list names). */
	struct slice probe = fuzz_input(data, size < 64 ? size : 64);
	fuzz_sink += config_nets_contain(&c->trusted_forwarders, probe);
	fuzz_sink += config_list_contains(&c->trusted_arc_sealers, probe);
	fuzz_sink += config_list_contains(&c->mailing_lists, probe);
	for (size_t i = 0; i < c->trusted_forwarders.n; i++) {
		const struct config_net *n = &c->trusted_forwarders.net[i];
		FUZZ_CHECK(n->family == 4 || n->family == 6);
		FUZZ_CHECK(n->prefix <= (n->family == 4 ? 32u : 128u));
	}
	for (size_t i = 0; i < c->mailing_lists.n; i++)
		FUZZ_CHECK(config_list_contains(&c->mailing_lists, c->mailing_lists.item[i]));
	arena_free(a);
	config_free(c);
	return 0;
}
