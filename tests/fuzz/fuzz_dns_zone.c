/* fuzz_dns_zone.c — fuzz target for the zone-file loader behind the
 * resolver spec "zone:/path" (dns_zone_parse in shared/dns_zone.h; RFC 1035
 * 5.1 presentation format and character-string escapes, 3.3 255-octet
 * strings, RFC 2181 names).  The input is a whole zone file; nothing is
 * handed to libunbound.
 *
 * Properties checked (from dns_zone.h): failure always leaves a
 * NUL-terminated message naming the file; every record is "owner TTL IN
 * TYPE rdata" text with a lower-case absolute owner and a line number
 * within the file; TIMEOUT names and the name list are lower case with the
 * final dot; the name list holds each name once and every owner is in it.
 * Corpus: tests/fuzz/corpus/dns_zone.  Ownership: tests/fuzz (fuzz harness).
 */
#include <string.h>

#include "dns_zone.h"
#include "fuzzutil.h"

static void fuzz_check_name(const char *n)
{
	FUZZ_CHECK(n != NULL);
	size_t len = strlen(n);
	FUZZ_CHECK(len >= 1 && n[len - 1] == '.');
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK(!(n[i] >= 'A' && n[i] <= 'Z'));
}

static bool fuzz_in_names(const struct dns_zone *z, const char *owner, size_t len)
{
	for (size_t i = 0; i < z->nnames; i++)
		if (strlen(z->names[i]) == len && memcmp(z->names[i], owner, len) == 0)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new(0);
	if (!a)
		return 0;
	size_t lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	struct dns_zone z;
	char err[256];
	memset(err, 'x', sizeof err);
	bool ok = dns_zone_parse(a, fuzz_input(data, size), "fuzz.zone", &z, err, sizeof err);
	if (!ok) {
		FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL);
		FUZZ_CHECK(strstr(err, "fuzz.zone") != NULL);
		/* errlen 0 must not be written to. */
		dns_zone_parse(a, fuzz_input(data, size), "fuzz.zone", &z, NULL, 0);
		arena_free(a);
		return 0;
	}
	for (size_t i = 0; i < z.nrr; i++) {
		const char *t = z.rr[i].text;
		FUZZ_CHECK(t != NULL);
		FUZZ_CHECK(z.rr[i].line >= 1 && z.rr[i].line <= lines);
		const char *sp = strchr(t, ' ');
		FUZZ_CHECK(sp != NULL && sp > t && sp[-1] == '.');
		for (const char *p = t; p < sp; p++)
			FUZZ_CHECK(!(*p >= 'A' && *p <= 'Z'));
		FUZZ_CHECK(strstr(sp, " IN ") != NULL);
		/* The root owner is not listed (names exclude the root). */
		if (sp - t > 1)
			FUZZ_CHECK(fuzz_in_names(&z, t, (size_t)(sp - t)));
	}
	for (size_t i = 0; i < z.ntimeout; i++) {
		fuzz_check_name(z.timeout[i]);
		if (strlen(z.timeout[i]) > 1)
			FUZZ_CHECK(fuzz_in_names(&z, z.timeout[i], strlen(z.timeout[i])));
	}
	for (size_t i = 0; i < z.nnames; i++) {
		fuzz_check_name(z.names[i]);
		FUZZ_CHECK(strcmp(z.names[i], ".") != 0);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(z.names[i], z.names[j]) != 0);
	}
	arena_free(a);
	return 0;
}
