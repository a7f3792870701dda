/* fuzz_spf_macro.c — fuzz target for the SPF macro language (shared/
 * spf_macro.h, RFC 7208 section 7).  The input is one macro-string,
 * checked and expanded in each of the three modes with two sets of values
 * (ordinary ones, and long ones that push the output over 253 and over
 * SPF_MAX_EXPANSION).
 *
 * Properties checked (from spf_macro.h): spf_macro_expand refuses exactly
 * what spf_macro_valid refuses; an expansion is at most SPF_MAX_EXPANSION
 * bytes and NUL-terminated; in domain mode a result over 253 bytes only
 * remains when no label boundary allowed cutting it; a string for which
 * spf_macro_uses_p is false expands the same whatever %{p} holds.
 * Corpus: tests/fuzz/corpus/spf_macro.  Ownership: tests/fuzz (fuzz harness).
 */
#include "fuzzutil.h"
#include "mailauth_limits.h"
#include "spf_macro.h"

static struct spf_macro_vars fuzz_vars(struct arena *a, bool long_values)
{
	struct spf_macro_vars v;
	v.s = SLICE_LIT("strong-bad@email.example.com");
	v.l = SLICE_LIT("strong-bad");
	v.o = SLICE_LIT("email.example.com");
	v.d = SLICE_LIT("email.example.com");
	v.i = SLICE_LIT("192.0.2.3");
	v.p = SLICE_LIT("mx.example.org");
	v.v = SLICE_LIT("in-addr");
	v.h = SLICE_LIT("helo.example.net");
	v.c = SLICE_LIT("192.0.2.3");
	v.r = SLICE_LIT("receiver.example.org");
	v.t = SLICE_LIT("1700000000");
	if (long_values) {
		/* 60 labels of "l0-x" style parts separated by every delimiter. */
		struct buf b;
		buf_init(&b, a, 4096);
		static const char delims[] = ".-+,/_=";
		for (int k = 0; k < 60; k++) {
			if (k)
				buf_add_byte(&b, delims[k % 7]);
			buf_addf(&b, "lab%02d", k);
		}
		if (!b.err) {
			v.s = buf_slice(&b);
			v.l = v.s;
			v.d = v.s;
			v.h = v.s;
		}
		v.i = SLICE_LIT("2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1");
	}
	return v;
}

static void fuzz_expand(struct arena *a, struct slice in, enum spf_macro_mode mode,
                        const struct spf_macro_vars *v)
{
	const char *why = NULL;
	bool valid = spf_macro_valid(in, mode, &why);
	if (!valid) {
		FUZZ_CHECK(why != NULL);
		fuzz_touch(slice_from_cstr(why));
	}
	FUZZ_CHECK(spf_macro_valid(in, mode, NULL) == valid);
	struct slice out = SLICE_NULL;
	enum spf_macro_status st = spf_macro_expand(a, in, mode, v, &out);
	if (st == SPF_MACRO_NOMEM)
		return;
	FUZZ_CHECK((st == SPF_MACRO_SYNTAX) == !valid);
	FUZZ_CHECK(st == SPF_MACRO_OK || st == SPF_MACRO_SYNTAX || st == SPF_MACRO_TOOLONG);
	if (st != SPF_MACRO_OK)
		return;
	FUZZ_CHECK(out.ptr != NULL);
	FUZZ_CHECK(out.len <= SPF_MAX_EXPANSION);
	FUZZ_CHECK(out.ptr[out.len] == '\0');
	if (mode == SPF_MACRO_DOMAIN && out.len > 253) {
		/* RFC 7208 7.3: cut at a label boundary when one allows it. */
		for (size_t k = out.len - 254; k < out.len; k++)
			FUZZ_CHECK(out.ptr[k] != '.');
	}
	if (!spf_macro_uses_p(in)) {
		struct spf_macro_vars v2 = *v;
		v2.p = SLICE_LIT("other.p.value.example");
		struct slice out2;
		enum spf_macro_status st2 = spf_macro_expand(a, in, mode, &v2, &out2);
		if (st2 != SPF_MACRO_NOMEM)
			FUZZ_CHECK(st2 == st && slice_eq(out, out2));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new(0);
	if (!a)
		return 0;
	struct slice in = fuzz_input(data, size);
	struct spf_macro_vars plain = fuzz_vars(a, false), big = fuzz_vars(a, true);
	static const enum spf_macro_mode modes[] = { SPF_MACRO_DOMAIN, SPF_MACRO_EXPLAIN,
		                                     SPF_MACRO_MODIFIER };
	for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++) {
		fuzz_expand(a, in, modes[k], &plain);
		fuzz_expand(a, in, modes[k], &big);
	}
	/* toplabel is a pure predicate; it must only stay inside its input. */
	fuzz_sink += spf_macro_is_toplabel(in);
	arena_free(a);
	return 0;
}
