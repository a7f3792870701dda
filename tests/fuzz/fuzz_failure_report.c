/* fuzz_failure_report.c — fuzz target for the DMARC failure report spool
 * record, the redaction and the report message (shared/failure_report.h).
 *
 * Properties checked: failure_record_parse() either refuses with a reason
 * or returns slices inside the input with at least one Ruf, a Policy- and
 * a Reported-Domain; a parsed record formatted again parses to the same
 * domains, URIs and header section; the report message built from it has
 * its closing boundary last and no line longer than 998 bytes outside the
 * header section (values are cut at FAILURE_MAX_FIELD_BYTES);
 * failure_redact_addresses() leaves no '@' preceded by a local-part byte
 * that is not the end of "redacted", and keeps every byte after the last
 * '@'.  The input is also read as a header section (loop check, header
 * writer).  Corpus: tests/fuzz/corpus/failure_report (spool files).
 * Ownership: tests/fuzz (fuzz harness).
 */
#include "failure_report.h"
#include "fuzzutil.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new(0);
	if (!a)
		return 0;
	struct slice in = fuzz_input(data, size);

	struct buf red;
	buf_init(&red, a, size * 9 + 16);
	failure_redact_addresses(&red, in);
	if (!red.err) {
		struct slice r = buf_slice(&red);
		/* the text after the input's last '@' is kept verbatim */
		size_t last = size;
		for (size_t i = 0; i < size; i++)
			if (in.ptr[i] == '@')
				last = i;
		if (last < size) {
			size_t tail = size - last;
			FUZZ_CHECK(r.len >= tail && memcmp(r.ptr + r.len - tail, in.ptr + last, tail) == 0);
		} else {
			FUZZ_CHECK(slice_eq(r, in));
		}
	}

	(void)failure_headers_are_report(a, in);
	struct msg m;
	if (msg_parse(&m, a, in) == MSG_OK) {
		struct buf h;
		buf_init(&h, a, FAILURE_MAX_SPOOL_BYTES);
		bool all = failure_headers_write(&h, &m, true, FAILURE_MAX_SPOOL_BYTES);
		FUZZ_CHECK(h.len <= FAILURE_MAX_SPOOL_BYTES);
		(void)all;
	}

	struct failure_record rec;
	const char *why = NULL;
	if (failure_record_parse(in, &rec, &why) != FAILURE_PARSE_OK) {
		FUZZ_CHECK(why && *why);
		arena_free(a);
		return 0;
	}
	FUZZ_CHECK(rec.n_ruf >= 1 && rec.n_ruf <= DMARC_MAX_REPORT_URIS);
	FUZZ_CHECK(rec.policy_domain.len && rec.reported_domain.len);
	FUZZ_CHECK(fuzz_within(rec.policy_domain, data, size));
	FUZZ_CHECK(fuzz_within(rec.headers, data, size));
	for (size_t i = 0; i < rec.n_ruf; i++)
		FUZZ_CHECK(fuzz_within(rec.ruf[i], data, size));

	struct failure_mail fm = {
		.rec = &rec, .from = "dmarc@receiver.example", .org_name = "R",
		.receiver = "receiver.example", .user_agent = "exim-mailauth/0",
		.to = SLICE_LIT("ruf@example.com"), .id = SLICE_LIT("fuzz"), .date = 1700000000,
	};
	struct buf mail;
	buf_init(&mail, a, size * 2 + 64 * 1024);
	failure_mail_build(&fm, &mail);
	if (!mail.err) {
		struct slice s = buf_slice(&mail);
		FUZZ_CHECK(s.len > 3 && s.ptr[s.len - 1] == '\n' && s.ptr[s.len - 2] == '-' &&
		           s.ptr[s.len - 3] == '-');
	}

	struct buf again;
	buf_init(&again, a, size * 2 + 4096);
	failure_record_format(&rec, &again);
	if (!again.err) {
		struct failure_record r2;
		FUZZ_CHECK(failure_record_parse(buf_slice(&again), &r2, &why) == FAILURE_PARSE_OK);
		FUZZ_CHECK(r2.n_ruf == rec.n_ruf);
		FUZZ_CHECK(slice_eq(r2.headers, rec.headers));
	}
	arena_free(a);
	return 0;
}
