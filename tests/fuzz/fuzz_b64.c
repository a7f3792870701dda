/* fuzz_b64.c — fuzz target for base64 as DKIM uses it (shared/b64.h,
 * RFC 4648 4 with the FWS of RFC 6376 3.5 and 3.6.1).  The input is
 * decoded as a b=/bh=/p= value, and also encoded and decoded back.
 *
 * Properties checked (from b64.h): a decode succeeds only on alphabet
 * bytes, FWS and at most two '=' at the end; the output length is 3/4 of
 * the significant input less the padding; re-encoding a decoded value and
 * decoding again gives the same bytes; encoding arbitrary bytes produces
 * only alphabet and padding and decodes back to exactly those bytes.
 * Corpus: tests/fuzz/corpus/b64.  Ownership: tests/fuzz (fuzz harness).
 */
#include "b64.h"
#include "fuzzutil.h"

static bool fuzz_b64_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new(0);
	if (!a)
		return 0;
	struct slice in = fuzz_input(data, size);
	struct slice out;
	enum b64_status st = b64_decode(a, in, &out);
	FUZZ_CHECK(st == B64_OK || st == B64_E_SYNTAX || st == B64_E_NOMEM);
	if (st == B64_OK) {
		size_t sig = 0, pad = 0;
		for (size_t i = 0; i < size; i++) {
			unsigned char c = data[i];
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
				continue;
			if (c == '=') {
				pad++;
				continue;
			}
			FUZZ_CHECK(fuzz_b64_alpha(c) && pad == 0);
			sig++;
		}
		FUZZ_CHECK(pad <= 2 && (sig + pad) % 4 == 0);
		FUZZ_CHECK(out.ptr != NULL);
		FUZZ_CHECK(out.len == (sig + pad) / 4 * 3 - pad);
		fuzz_touch(out);
		struct slice enc = b64_encode(a, out.ptr, out.len);
		if (enc.ptr) {
			struct slice back;
			if (b64_decode(a, enc, &back) == B64_OK)
				FUZZ_CHECK(slice_eq(back, out));
		}
	}
	/* Any bytes round-trip through the encoder. */
	struct slice enc = b64_encode(a, data, size);
	if (enc.ptr) {
		FUZZ_CHECK(enc.len == (size + 2) / 3 * 4);
		for (size_t i = 0; i < enc.len; i++)
			FUZZ_CHECK(fuzz_b64_alpha((unsigned char)enc.ptr[i]) ||
			           (enc.ptr[i] == '=' && i + 2 >= enc.len));
		struct slice back;
		enum b64_status st2 = b64_decode(a, enc, &back);
		FUZZ_CHECK(st2 == B64_OK || st2 == B64_E_NOMEM);
		if (st2 == B64_OK)
			FUZZ_CHECK(back.len == size && (size == 0 || memcmp(back.ptr, data, size) == 0));
	}
	arena_free(a);
	return 0;
}
