/* hist_writer.c — writes DMARC history records with hist_append_fd(), the
 * writer the Exim module uses, for tests/tools/report_cli.sh.
 *
 *   hist_writer FILE < SPECS
 *       one record per input line of blank-separated key=value words:
 *         job received ip from mfrom pdomain reporter
 *         spf=WORD spf_domain=D spf_scope=helo
 *         dkim=DOMAIN:SELECTOR:RESULT (repeatable)
 *         result=pass|fail|none|temperror|permerror
 *         p= sp= np= requested= (none|quarantine|reject)
 *         disposition=none|pass|quarantine|reject
 *         rua=URI (repeatable)   align_dkim=y|n  align_spf=y|n
 *         adkim=s|r aspf=s|r testing=y|n discovery=psl|treewalk ri=SECONDS
 *         override=TYPE[:comment]  report=y  count=N (N copies, jobs JOB.1..N)
 *       lines starting with '#' and blank lines are skipped.
 *   hist_writer --concurrent FILE WRITERS RECORDS START
 *       WRITERS processes append RECORDS records each at the same time, all
 *       through one O_APPEND open per process; writer w uses the policy
 *       domain writer<w>.example, rua mailto:dmarc@writer<w>.example, a
 *       varying number of DKIM signatures (so records differ in length),
 *       and arrival times from START on.
 *
 * Exit status 0 when every record was written, 1 otherwise (with a
 * message), 2 on bad usage.  Test input only: the parser is simple. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena.h"
#include "hist.h"
#include "slice.h"

#define MAX_LIST 16

static bool word_auth(const char *w, enum hist_auth *out)
{
	for (int i = HIST_AUTH_NONE; i <= HIST_AUTH_PERMERROR; i++)
		if (strcmp(w, hist_auth_str((enum hist_auth)i)) == 0) {
			*out = (enum hist_auth)i;
			return true;
		}
	return false;
}

static bool word_policy(const char *w, enum hist_policy *out)
{
	for (int i = HIST_POLICY_NONE; i <= HIST_POLICY_REJECT; i++)
		if (strcmp(w, hist_policy_str((enum hist_policy)i)) == 0) {
			*out = (enum hist_policy)i;
			return true;
		}
	return false;
}

static bool word_result(const char *w, enum hist_result *out)
{
	for (int i = HIST_RESULT_NONE; i <= HIST_RESULT_PERMERROR; i++)
		if (strcmp(w, hist_result_str((enum hist_result)i)) == 0) {
			*out = (enum hist_result)i;
			return true;
		}
	return false;
}

static bool word_disp(const char *w, enum hist_disposition *out)
{
	for (int i = HIST_DISP_NONE; i <= HIST_DISP_REJECT; i++)
		if (strcmp(w, hist_disposition_str((enum hist_disposition)i)) == 0) {
			*out = (enum hist_disposition)i;
			return true;
		}
	return false;
}

static bool word_override(const char *w, enum hist_override_type *out)
{
	for (int i = HIST_OVERRIDE_LOCAL_POLICY; i <= HIST_OVERRIDE_SAMPLED_OUT; i++)
		if (strcmp(w, hist_override_str((enum hist_override_type)i)) == 0) {
			*out = (enum hist_override_type)i;
			return true;
		}
	return false;
}

static struct slice S(const char *s)
{
	return slice_from_cstr(s);
}

/* Fill r from one spec line (modified in place; r points into it). */
static bool parse_spec(char *line, struct hist_record *r, struct hist_dkim *dk, struct slice *rua,
                       struct hist_override *ov, unsigned *count)
{
	hist_record_init(r);
	r->reporter = S("mx.example.test");
	r->ipaddr = S("192.0.2.1");
	r->discovery = HIST_DISCOVERY_TREEWALK;
	*count = 1;
	bool ok = true;
	for (char *tok = strtok(line, " \t\n"); tok && ok; tok = strtok(NULL, " \t\n")) {
		char *eq = strchr(tok, '=');
		if (!eq) {
			fprintf(stderr, "hist_writer: '%s' is not key=value\n", tok);
			return false;
		}
		*eq = '\0';
		const char *k = tok, *v = eq + 1;
		if (!strcmp(k, "job")) r->job = S(v);
		else if (!strcmp(k, "reporter")) r->reporter = S(v);
		else if (!strcmp(k, "received")) r->received = strtoll(v, NULL, 10);
		else if (!strcmp(k, "ip")) r->ipaddr = S(v);
		else if (!strcmp(k, "from")) r->from_domain = S(v);
		else if (!strcmp(k, "mfrom")) r->mfrom_domain = S(v);
		else if (!strcmp(k, "spf")) ok = word_auth(v, &r->spf);
		else if (!strcmp(k, "spf_domain")) r->spf_domain = S(v);
		else if (!strcmp(k, "spf_scope")) r->spf_scope = !strcmp(v, "helo") ? HIST_SPF_HELO : HIST_SPF_MFROM;
		else if (!strcmp(k, "dkim")) {
			char *c1 = strchr(v, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
			if (!c2 || r->n_dkim == MAX_LIST)
				return false;
			*c1 = *c2 = '\0';
			dk[r->n_dkim].domain = S(v);
			dk[r->n_dkim].selector = S(c1 + 1);
			dk[r->n_dkim].human = SLICE_NULL;
			ok = word_auth(c2 + 1, &dk[r->n_dkim].result);
			r->n_dkim++;
			r->dkim = dk;
		} else if (!strcmp(k, "pdomain")) r->pdomain = S(v);
		else if (!strcmp(k, "result")) ok = word_result(v, &r->result);
		else if (!strcmp(k, "p")) ok = word_policy(v, &r->p);
		else if (!strcmp(k, "sp")) ok = word_policy(v, &r->sp);
		else if (!strcmp(k, "np")) ok = word_policy(v, &r->np);
		else if (!strcmp(k, "requested")) ok = word_policy(v, &r->requested);
		else if (!strcmp(k, "disposition")) ok = word_disp(v, &r->disposition);
		else if (!strcmp(k, "rua")) {
			if (r->n_rua == MAX_LIST)
				return false;
			rua[r->n_rua++] = S(v);
			r->rua = rua;
		} else if (!strcmp(k, "align_dkim")) r->align_dkim = *v == 'y';
		else if (!strcmp(k, "align_spf")) r->align_spf = *v == 'y';
		else if (!strcmp(k, "adkim")) r->adkim_strict = *v == 's';
		else if (!strcmp(k, "aspf")) r->aspf_strict = *v == 's';
		else if (!strcmp(k, "testing")) r->testing = *v == 'y';
		else if (!strcmp(k, "discovery")) r->discovery = !strcmp(v, "psl") ? HIST_DISCOVERY_PSL : HIST_DISCOVERY_TREEWALK;
		else if (!strcmp(k, "ri")) r->ri = (uint32_t)strtoul(v, NULL, 10);
		else if (!strcmp(k, "fo")) r->fo = S(v);
		else if (!strcmp(k, "report")) r->is_report = *v == 'y';
		else if (!strcmp(k, "count")) *count = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(k, "override")) {
			if (r->n_overrides == MAX_LIST)
				return false;
			char *c = strchr(v, ':');
			if (c)
				*c = '\0';
			ok = word_override(v, &ov[r->n_overrides].type);
			ov[r->n_overrides].comment = c ? S(c + 1) : SLICE_NULL;
			r->n_overrides++;
			r->overrides = ov;
		} else {
			fprintf(stderr, "hist_writer: unknown key '%s'\n", k);
			return false;
		}
		if (!ok)
			fprintf(stderr, "hist_writer: bad value for %s: '%s'\n", k, v);
	}
	if (ok && r->requested == HIST_POLICY_UNSPECIFIED)
		r->requested = r->p;
	return ok;
}

static int write_specs(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0640);
	if (fd < 0) {
		fprintf(stderr, "hist_writer: %s: %s\n", path, strerror(errno));
		return 1;
	}
	char line[8192];
	unsigned lineno = 0, written = 0;
	while (fgets(line, sizeof line, stdin)) {
		lineno++;
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == '\n' || *p == '\0')
			continue;
		struct hist_record r;
		struct hist_dkim dk[MAX_LIST];
		struct slice rua[MAX_LIST];
		struct hist_override ov[MAX_LIST];
		unsigned count;
		if (!parse_spec(p, &r, dk, rua, ov, &count)) {
			fprintf(stderr, "hist_writer: line %u is not a valid spec\n", lineno);
			close(fd);
			return 2;
		}
		struct slice job = r.job;
		for (unsigned i = 1; i <= count; i++) {
			struct arena *a = arena_new(0);
			char jb[256];
			if (count > 1) {
				snprintf(jb, sizeof jb, "%.*s.%u", (int)job.len, job.ptr, i);
				r.job = S(jb);
			}
			int rc = a ? hist_append_fd(fd, &r, a) : HIST_E_NOMEM;
			arena_free(a);
			if (rc != HIST_OK) {
				fprintf(stderr, "hist_writer: line %u: append failed (%d)\n", lineno, rc);
				close(fd);
				return 1;
			}
			written++;
		}
	}
	close(fd);
	printf("%u records written\n", written);
	return 0;
}

static int one_writer(const char *path, int w, int records, long long start)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0640);
	if (fd < 0)
		return 1;
	char dom[64], rua[96], from[64];
	snprintf(dom, sizeof dom, "writer%d.example", w);
	snprintf(rua, sizeof rua, "mailto:dmarc@writer%d.example", w);
	snprintf(from, sizeof from, "mail.writer%d.example", w);
	struct slice ruas[1] = { S(rua) };
	for (int i = 0; i < records; i++) {
		struct arena *a = arena_new(0);
		if (!a)
			return 1;
		char job[64], ip[32];
		snprintf(job, sizeof job, "w%d-%06d", w, i);
		snprintf(ip, sizeof ip, "198.51.100.%d", i % 7 + 1);
		struct hist_dkim dk[6];
		int nd = i % 6;
		for (int k = 0; k < nd; k++) {
			dk[k].domain = S(dom);
			dk[k].selector = S(k % 2 ? "sel-b" : "sel-a");
			dk[k].result = k == 0 ? HIST_AUTH_PASS : HIST_AUTH_FAIL;
			dk[k].human = SLICE_NULL;
		}
		struct hist_record r;
		hist_record_init(&r);
		r.job = S(job);
		r.reporter = S("mx.example.test");
		r.received = start + i;
		r.ipaddr = S(ip);
		r.from_domain = S(from);
		r.mfrom_domain = S(dom);
		r.spf = i % 3 ? HIST_AUTH_PASS : HIST_AUTH_FAIL;
		r.spf_domain = S(dom);
		r.dkim = dk;
		r.n_dkim = (size_t)nd;
		r.pdomain = S(dom);
		r.result = nd > 0 || i % 3 ? HIST_RESULT_PASS : HIST_RESULT_FAIL;
		r.p = r.requested = HIST_POLICY_QUARANTINE;
		r.discovery = HIST_DISCOVERY_TREEWALK;
		r.align_dkim = nd > 0;
		r.align_spf = i % 3 != 0;
		r.disposition = hist_disposition_for(r.result, r.requested, r.requested);
		r.rua = ruas;
		r.n_rua = 1;
		int rc = hist_append_fd(fd, &r, a);
		arena_free(a);
		if (rc != HIST_OK)
			return 1;
	}
	close(fd);
	return 0;
}

static int concurrent(const char *path, int writers, int records, long long start)
{
	pid_t pids[64];
	if (writers < 1 || writers > 64 || records < 1)
		return 2;
	for (int w = 0; w < writers; w++) {
		pids[w] = fork();
		if (pids[w] < 0)
			return 1;
		if (pids[w] == 0)
			_exit(one_writer(path, w, records, start));
	}
	int bad = 0;
	for (int w = 0; w < writers; w++) {
		int st;
		if (waitpid(pids[w], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad++;
	}
	if (bad) {
		fprintf(stderr, "hist_writer: %d writer(s) failed\n", bad);
		return 1;
	}
	printf("%d records written by %d processes\n", writers * records, writers);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "--concurrent"))
		return concurrent(argv[2], atoi(argv[3]), atoi(argv[4]), strtoll(argv[5], NULL, 10));
	if (argc == 2)
		return write_specs(argv[1]);
	fprintf(stderr, "usage: hist_writer FILE < SPECS | hist_writer --concurrent FILE WRITERS "
	                "RECORDS START\n");
	return 2;
}
