/* test_report_input.c — unit tests for shared/report_input.c: history
 * files read where the last run stopped, records still being written,
 * damaged fragments, chunk boundaries, log rotation (rename and
 * copytruncate) and reused inodes, and the state update after a run
 * (watermarks, file offsets held back by open or deferred windows).
 * Files are real files in a temporary directory, written with
 * hist_append_path(), the module's writer. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "hist.h"
#include "mailauth_limits.h"
#include "report_agg.h"
#include "report_input.h"
#include "report_state.h"
#include "slice.h"

#define DAY 86400
#define T0 1699920000 /* 2023-11-14T00:00:00Z */

static struct arena *A;
static char dir[64];
static char path[128], path1[128];

static void setup(void)
{
	A = arena_new(0);
	ck_assert_ptr_nonnull(A);
	snprintf(dir, sizeof dir, "/tmp/mailauth-input.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/history", dir);
	snprintf(path1, sizeof path1, "%s/history.1", dir);
}

static void teardown(void)
{
	unlink(path);
	unlink(path1);
	rmdir(dir);
	arena_free(A);
}

static struct slice S(const char *s)
{
	return slice_make(s, strlen(s));
}

static const struct slice rua[] = { { "mailto:dmarc@example.com", 24 } };

static void fill(struct hist_record *r, const char *pdomain, int64_t t, const char *job)
{
	hist_record_init(r);
	r->job = S(job);
	r->reporter = S("mx.example.test");
	r->received = t;
	r->ipaddr = S("192.0.2.1");
	r->from_domain = S(pdomain);
	r->mfrom_domain = S(pdomain);
	r->spf = HIST_AUTH_PASS;
	r->pdomain = S(pdomain);
	r->result = HIST_RESULT_PASS;
	r->p = r->requested = HIST_POLICY_NONE;
	r->discovery = HIST_DISCOVERY_TREEWALK;
	r->align_spf = true;
	r->rua = rua;
	r->n_rua = 1;
}

static void append(const char *file, const char *pdomain, int64_t t)
{
	static unsigned seq;
	char job[32];
	snprintf(job, sizeof job, "job-%u", ++seq);
	struct hist_record r;
	fill(&r, pdomain, t, job);
	char err[256];
	struct arena *a = arena_new(0);
	ck_assert_msg(hist_append_path(file, &r, a, err, sizeof err) == HIST_OK, "%s", err);
	arena_free(a);
}

static void append_raw(const char *file, const char *text, size_t len)
{
	int fd = open(file, O_WRONLY | O_APPEND | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static uint64_t size_of(const char *file)
{
	struct stat sb;
	ck_assert_int_eq(stat(file, &sb), 0);
	return (uint64_t)sb.st_size;
}

/* One run: read the files, then mark the finished groups (at now) done
 * and commit. */
struct run {
	struct report_agg *g;
	struct report_input_file f[4];
	struct report_input_stats st;
};

static void read_files(struct run *r, struct report_state *st, const char *const *files,
                       size_t n)
{
	memset(r, 0, sizeof *r);
	r->g = report_agg_new(A, n);
	ck_assert_ptr_nonnull(r->g);
	for (size_t i = 0; i < st->n_domains; i++)
		report_agg_set_watermark(r->g, st->domains[i].domain, st->domains[i].watermark);
	char err[256];
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(report_input_read(r->g, st, i, files[i], &r->f[i], &r->st, err,
		                                sizeof err) == REPORT_INPUT_OK,
		              "%s", err);
	report_agg_finish(r->g);
}

static void commit_finished(struct run *r, struct report_state *st, size_t n, int64_t now)
{
	size_t ng = report_agg_count(r->g);
	bool done[64] = { false };
	ck_assert_uint_le(ng, 64);
	for (size_t i = 0; i < ng; i++)
		done[i] = report_group_finished(report_agg_group(r->g, i), now);
	ck_assert_int_eq(report_input_commit(st, r->g, done, r->f, n, now), REPORT_STATE_OK);
}

START_TEST(a_second_run_reads_only_what_was_appended)
{
	for (int i = 0; i < 3; i++)
		append(path, "a.example", T0 + 10 * i);
	struct report_state st;
	report_state_init(&st, A);
	const char *files[] = { path };
	struct run r;
	read_files(&r, &st, files, 1);
	ck_assert_uint_eq(r.st.records, 3);
	ck_assert_uint_eq(r.st.counted, 3);
	ck_assert(!r.f[0].resumed);
	ck_assert_uint_eq(r.f[0].end, size_of(path));
	commit_finished(&r, &st, 1, T0 + 2 * DAY);
	ck_assert_int_eq(report_state_watermark(&st, S("a.example")), T0 + DAY);
	ck_assert_uint_eq(st.n_files, 1);
	ck_assert_uint_eq(st.files[0].offset, size_of(path));

	uint64_t old = size_of(path);
	append(path, "a.example", T0 + DAY + 5);
	append(path, "a.example", T0 + DAY + 6);
	read_files(&r, &st, files, 1);
	ck_assert(r.f[0].resumed);
	ck_assert_uint_eq(r.f[0].start, old);
	ck_assert_uint_eq(r.st.records, 2);
	ck_assert_uint_eq(r.st.counted, 2);
	ck_assert_uint_eq(report_agg_count(r.g), 1);
	ck_assert_int_eq(report_agg_group(r.g, 0)->window_start, T0 + DAY);
}
END_TEST

START_TEST(a_record_still_being_written_waits_for_the_next_run)
{
	append(path, "a.example", T0 + 1);
	append(path, "a.example", T0 + 2);
	uint64_t whole = size_of(path);
	struct hist_record rec;
	fill(&rec, "a.example", T0 + 3, "partial");
	struct buf b;
	buf_init(&b, A, 1u << 20);
	ck_assert_int_eq(hist_format(&rec, &b), HIST_OK);
	size_t half = b.len / 2;
	append_raw(path, b.ptr, half);

	struct report_state st;
	report_state_init(&st, A);
	const char *files[] = { path };
	struct run r;
	read_files(&r, &st, files, 1);
	ck_assert_uint_eq(r.st.records, 2);
	ck_assert_uint_eq(r.st.damaged, 0);
	ck_assert_uint_le(r.f[0].end, whole + 1); /* before the partial record's job line */
	ck_assert_uint_ge(r.f[0].end, whole);
	commit_finished(&r, &st, 1, T0 + 100); /* window open: nothing done */
	ck_assert_uint_eq(st.files[0].offset, 1); /* the first job line */

	append_raw(path, b.ptr + half, b.len - half);
	read_files(&r, &st, files, 1);
	ck_assert_uint_eq(r.st.records, 3);
	ck_assert_uint_eq(r.st.damaged, 0);
	ck_assert_uint_eq(r.f[0].end, size_of(path));
}
END_TEST

START_TEST(a_renamed_file_resumes_and_its_successor_is_read_from_the_start)
{
	append(path, "a.example", T0 + 1);
	append(path, "a.example", T0 + 2);
	struct report_state st;
	report_state_init(&st, A);
	const char *one[] = { path };
	struct run r;
	read_files(&r, &st, one, 1);
	commit_finished(&r, &st, 1, T0 + 2 * DAY);
	/* More records, then logrotate renames the file and a new one starts. */
	append(path, "a.example", T0 + 2 * DAY + 1);
	ck_assert_int_eq(rename(path, path1), 0);
	append(path, "a.example", T0 + 2 * DAY + 2);
	append(path, "a.example", T0 + 2 * DAY + 3);

	const char *both[] = { path1, path };
	read_files(&r, &st, both, 2);
	ck_assert(r.f[0].resumed);
	ck_assert(!r.f[1].resumed);
	ck_assert_uint_eq(r.st.records, 3);
	ck_assert_uint_eq(r.st.counted, 3);
	ck_assert_uint_eq(r.st.reported, 0);
	commit_finished(&r, &st, 2, T0 + 4 * DAY);
	ck_assert_uint_eq(st.n_files, 2);
	/* Passing the files again reads nothing new. */
	read_files(&r, &st, both, 2);
	ck_assert_uint_eq(r.st.records, 0);
}
END_TEST

START_TEST(a_truncated_file_is_read_from_the_start)
{
	for (int i = 0; i < 4; i++)
		append(path, "a.example", T0 + i);
	struct report_state st;
	report_state_init(&st, A);
	const char *files[] = { path };
	struct run r;
	read_files(&r, &st, files, 1);
	commit_finished(&r, &st, 1, T0 + 2 * DAY);
	/* copytruncate: same inode, emptied, written again. */
	ck_assert_int_eq(truncate(path, 0), 0);
	append(path, "a.example", T0 + 2 * DAY + 1);
	read_files(&r, &st, files, 1);
	ck_assert(!r.f[0].resumed);
	ck_assert_uint_eq(r.f[0].start, 0);
	ck_assert_uint_eq(r.st.records, 1);
	ck_assert_uint_eq(r.st.counted, 1);
}
END_TEST

START_TEST(an_inode_holding_another_file_is_read_from_the_start)
{
	for (int i = 0; i < 4; i++)
		append(path, "a.example", T0 + i);
	struct report_state st;
	report_state_init(&st, A);
	const char *files[] = { path };
	struct run r;
	read_files(&r, &st, files, 1);
	commit_finished(&r, &st, 1, T0 + 2 * DAY);
	/* The same inode now starts with other bytes (and is no shorter);
	 * the first record is damaged by them. */
	int fd = open(path, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "\n\n", 2, 0), 2);
	close(fd);
	append(path, "b.example", T0 + 2 * DAY + 1);
	read_files(&r, &st, files, 1);
	ck_assert(!r.f[0].resumed);
	ck_assert_uint_eq(r.st.records, 4);
	ck_assert_uint_eq(r.st.damaged, 1);
	ck_assert_uint_eq(r.st.reported, 3); /* the watermark still keeps them out */
	ck_assert_uint_eq(r.st.counted, 1);
}
END_TEST

START_TEST(an_open_window_holds_the_file_offset_and_nothing_is_reported_twice)
{
	append(path, "a.example", T0 + 1);           /* a, day 1 */
	append(path, "a.example", T0 + 2);
	uint64_t third = size_of(path);
	append(path, "b.example", T0 + 2 * DAY + 1); /* b, day 3 */
	append(path, "a.example", T0 + 2 * DAY + 2); /* a, day 3 */
	struct report_state st;
	report_state_init(&st, A);
	const char *files[] = { path };
	struct run r;
	read_files(&r, &st, files, 1);
	ck_assert_uint_eq(report_agg_count(r.g), 3);
	commit_finished(&r, &st, 1, T0 + 2 * DAY + 100);
	ck_assert_int_eq(report_state_watermark(&st, S("a.example")), T0 + DAY);
	ck_assert_int_eq(report_state_watermark(&st, S("b.example")), INT64_MIN);
	/* The offset is at b's record, whose window is still open (+1: the
	 * record's leading empty line). */
	ck_assert_uint_eq(st.files[0].offset, third + 1);

	read_files(&r, &st, files, 1);
	ck_assert_uint_eq(r.st.records, 2);
	ck_assert_uint_eq(r.st.counted, 2);
	ck_assert_uint_eq(report_agg_count(r.g), 2);
	commit_finished(&r, &st, 1, T0 + 4 * DAY);
	ck_assert_int_eq(report_state_watermark(&st, S("a.example")), T0 + 3 * DAY);
	ck_assert_int_eq(report_state_watermark(&st, S("b.example")), T0 + 3 * DAY);
	ck_assert_uint_eq(st.files[0].offset, size_of(path));
}
END_TEST

START_TEST(a_deferred_window_holds_back_the_later_windows_of_its_domain)
{
	append(path, "a.example", T0 + 1);
	append(path, "a.example", T0 + DAY + 1);
	append(path, "b.example", T0 + DAY + 2);
	struct report_state st;
	report_state_init(&st, A);
	const char *files[] = { path };
	struct run r;
	read_files(&r, &st, files, 1);
	ck_assert_uint_eq(report_agg_count(r.g), 3); /* a day1, a day2, b day2 */
	bool done[3] = { false, true, true };         /* a's day 1 could not be sent */
	ck_assert_int_eq(report_input_commit(&st, r.g, done, r.f, 1, T0 + 3 * DAY),
	                 REPORT_STATE_OK);
	ck_assert_int_eq(report_state_watermark(&st, S("a.example")), INT64_MIN);
	ck_assert_int_eq(report_state_watermark(&st, S("b.example")), T0 + 2 * DAY);
	ck_assert_uint_eq(st.files[0].offset, 1);
	read_files(&r, &st, files, 1);
	ck_assert_uint_eq(r.st.counted, 2);
	ck_assert_uint_eq(r.st.reported, 1);
}
END_TEST

START_TEST(damaged_fragments_are_skipped_and_counted)
{
	append_raw(path, "garbage\nmore garbage\n", 21);
	append(path, "a.example", T0 + 1);
	append_raw(path, "\njob torn\nreporter x\nreceived 1\n", 33);
	append(path, "a.example", T0 + 2);
	struct report_state st;
	report_state_init(&st, A);
	const char *files[] = { path };
	struct run r;
	read_files(&r, &st, files, 1);
	ck_assert_uint_eq(r.st.records, 2);
	ck_assert_uint_ge(r.st.damaged, 2);
	ck_assert_uint_eq(r.f[0].end, size_of(path));
}
END_TEST

START_TEST(records_across_read_chunks_are_all_counted)
{
	/* Over two read chunks of records, formatted as the writer does. */
	struct buf b;
	buf_init(&b, A, 4 * HIST_READ_CHUNK);
	unsigned n = 0;
	while (b.len < 2 * HIST_READ_CHUNK + 1000) {
		char job[32];
		snprintf(job, sizeof job, "job-%u", n);
		struct hist_record rec;
		fill(&rec, n % 2 ? "a.example" : "b.example", T0 + n, job);
		ck_assert_int_eq(hist_format(&rec, &b), HIST_OK);
		n++;
	}
	append_raw(path, b.ptr, b.len);
	struct report_state st;
	report_state_init(&st, A);
	const char *files[] = { path };
	struct run r;
	read_files(&r, &st, files, 1);
	ck_assert_uint_eq(r.st.records, n);
	ck_assert_uint_eq(r.st.counted, n);
	ck_assert_uint_eq(r.st.damaged, 0);
	ck_assert_uint_ge(r.st.bytes, size_of(path));
	ck_assert_uint_eq(r.f[0].end, size_of(path));
	ck_assert_uint_eq(report_agg_group(r.g, 0)->messages + report_agg_group(r.g, 1)->messages, n);
}
END_TEST

START_TEST(an_endless_line_is_skipped_as_damage)
{
	append(path, "a.example", T0 + 1);
	size_t big = HIST_READ_CHUNK + HIST_READ_CHUNK / 2;
	char *junk = malloc(big);
	ck_assert_ptr_nonnull(junk);
	memset(junk, 'x', big);
	append_raw(path, junk, big);
	free(junk);
	append(path, "a.example", T0 + 2);
	struct report_state st;
	report_state_init(&st, A);
	const char *files[] = { path };
	struct run r;
	read_files(&r, &st, files, 1);
	ck_assert_uint_eq(r.st.records, 2);
	ck_assert_uint_ge(r.st.damaged, 1);
}
END_TEST

START_TEST(unreadable_files_are_named_in_the_error)
{
	struct report_agg *g = report_agg_new(A, 1);
	struct report_input_file f;
	struct report_input_stats s;
	memset(&s, 0, sizeof s);
	char err[256];
	ck_assert_int_eq(report_input_read(g, NULL, 0, path, &f, &s, err, sizeof err),
	                 REPORT_INPUT_IO);
	ck_assert_msg(strstr(err, path) && strstr(err, strerror(ENOENT)), "%s", err);
	ck_assert_int_eq(report_input_read(g, NULL, 0, dir, &f, &s, err, sizeof err),
	                 REPORT_INPUT_IO);
	ck_assert_msg(strstr(err, "not a regular file"), "%s", err);
	ck_assert(!f.read);
}
END_TEST

START_TEST(entries_of_files_not_seen_for_long_are_dropped)
{
	append(path, "a.example", T0 + 1);
	struct report_state st;
	report_state_init(&st, A);
	struct report_state_file gone = { 9, 9, 100, 0, 0, T0 - 100 * DAY, S("/gone") };
	report_state_file_set(&st, &gone);
	const char *files[] = { path };
	struct run r;
	read_files(&r, &st, files, 1);
	commit_finished(&r, &st, 1, T0 + 2 * DAY);
	ck_assert_uint_eq(st.n_files, 1);
	ck_assert_ptr_null(report_state_file_find(&st, 9, 9));
}
END_TEST

static Suite *input_suite(void)
{
	Suite *s = suite_create("report_input");
	TCase *tc = tcase_create("input");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, a_second_run_reads_only_what_was_appended);
	tcase_add_test(tc, a_record_still_being_written_waits_for_the_next_run);
	tcase_add_test(tc, a_renamed_file_resumes_and_its_successor_is_read_from_the_start);
	tcase_add_test(tc, a_truncated_file_is_read_from_the_start);
	tcase_add_test(tc, an_inode_holding_another_file_is_read_from_the_start);
	tcase_add_test(tc, an_open_window_holds_the_file_offset_and_nothing_is_reported_twice);
	tcase_add_test(tc, a_deferred_window_holds_back_the_later_windows_of_its_domain);
	tcase_add_test(tc, damaged_fragments_are_skipped_and_counted);
	tcase_add_test(tc, records_across_read_chunks_are_all_counted);
	tcase_add_test(tc, an_endless_line_is_skipped_as_damage);
	tcase_add_test(tc, unreadable_files_are_named_in_the_error);
	tcase_add_test(tc, entries_of_files_not_seen_for_long_are_dropped);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(input_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
