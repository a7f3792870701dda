/* replay_main.c — runs a fuzz target's inputs without libFuzzer, so the
 * committed seed corpora are replayed by `make check` under gcc with
 * AddressSanitizer + UBSan (and by the normal build, where they still catch
 * hangs and crashes).
 *
 * Usage:  fuzz_replay_<name> [file-or-directory ...]
 * Without arguments the corpus of the target is replayed:
 * $MAILAUTH_SRCDIR/tests/fuzz/corpus/<name> (MAILAUTH_SRCDIR defaults to
 * "."), <name> taken from the program name.  A missing or empty corpus is a
 * failure, never a silent skip.
 *
 * Each input runs in a forked child, so one crash, sanitizer report, leak
 * or hang (REPLAY_TIMEOUT_S) is charged to that input and the others still
 * run.  The input is copied into a malloc'd buffer of exactly its size, as
 * libFuzzer does, so a read past the end is caught.  The last line is
 * "N passed, M failed"; the exit status is non-zero when anything failed.
 *
 * Linked with one tests/fuzz/fuzz_<name>.c, which defines
 * LLVMFuzzerTestOneInput.  Ownership: tests/fuzz (fuzz harness).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A seed that takes this long under the sanitizers is a hang: every parser
 * must be linear in its input, and seeds are small. */
#define REPLAY_TIMEOUT_S 20
/* Seeds are hand-written and small; libFuzzer's default -max_len is 4096.
 * A larger file is refused rather than read (it is a mistake in the
 * corpus). */
#define REPLAY_MAX_INPUT (1024 * 1024)

#define REPLAY_PREFIX "fuzz_replay_"

static unsigned long n_pass, n_fail;

static void fail(const char *path, const char *what)
{
	n_fail++;
	printf("FAIL %s: %s\n", path, what);
	fflush(stdout);
}

/* Read path into an exact-size malloc'd buffer (never NULL on success, even
 * for an empty file).  Returns 0, or -1 with a message printed. */
static int read_input(const char *path, uint8_t **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fail(path, strerror(errno));
		return -1;
	}
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);
	while (buf) {
		if (len == cap) {
			if (cap >= REPLAY_MAX_INPUT) {
				free(buf);
				fclose(f);
				fail(path, "input larger than REPLAY_MAX_INPUT");
				return -1;
			}
			uint8_t *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	int ioerr = ferror(f);
	fclose(f);
	if (!buf || ioerr) {
		free(buf);
		fail(path, buf ? "read error" : "out of memory");
		return -1;
	}
	/* Exactly len bytes, so that a read past the end hits the redzone. */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact) {
		free(buf);
		fail(path, "out of memory");
		return -1;
	}
	memcpy(exact, buf, len);
	free(buf);
	*data = exact;
	*size = len;
	return 0;
}

static void run_one(const char *path)
{
	uint8_t *data;
	size_t size;
	if (read_input(path, &data, &size) != 0)
		return;
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		free(data);
		fail(path, "fork failed");
		return;
	}
	if (pid == 0) {
		alarm(REPLAY_TIMEOUT_S);
		LLVMFuzzerTestOneInput(data, size);
		free(data);
		/* exit(), not _exit(): LeakSanitizer checks at exit. */
		exit(0);
	}
	free(data);
	int st;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			fail(path, "waitpid failed");
			return;
		}
	}
	char what[64];
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		n_pass++;
		return;
	}
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
		snprintf(what, sizeof what, "timeout after %d s", REPLAY_TIMEOUT_S);
	else if (WIFSIGNALED(st))
		snprintf(what, sizeof what, "killed by signal %d", WTERMSIG(st));
	else
		snprintf(what, sizeof what, "exit status %d (sanitizer report above)",
		         WEXITSTATUS(st));
	fail(path, what);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir (not starting with '.'), in name order.
 * Returns the number of inputs run. */
static unsigned long run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		fail(dir, strerror(errno));
		return 0;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			char **nn = realloc(names, nc * sizeof *nn);
			if (!nn)
				break;
			names = nn;
			cap = nc;
		}
		size_t len = strlen(dir) + 1 + strlen(e->d_name) + 1;
		names[n] = malloc(len);
		if (!names[n])
			break;
		snprintf(names[n], len, "%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_str);
	unsigned long ran = 0;
	for (size_t i = 0; i < n; i++) {
		struct stat sb;
		if (stat(names[i], &sb) == 0 && S_ISREG(sb.st_mode)) {
			run_one(names[i]);
			ran++;
		}
		free(names[i]);
	}
	free(names);
	return ran;
}

static void run_path(const char *path)
{
	struct stat sb;
	if (stat(path, &sb) != 0) {
		fail(path, strerror(errno));
		return;
	}
	if (S_ISDIR(sb.st_mode)) {
		if (run_dir(path) == 0)
			fail(path, "no inputs in directory");
	} else {
		run_one(path);
	}
}

int main(int argc, char **argv)
{
	/* Children write through inherited stdio buffers: keep them empty. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			run_path(argv[i]);
	} else {
		const char *prog = strrchr(argv[0], '/');
		prog = prog ? prog + 1 : argv[0];
		size_t plen = strlen(REPLAY_PREFIX);
		if (strncmp(prog, REPLAY_PREFIX, plen) != 0 || prog[plen] == '\0') {
			fprintf(stderr, "%s: cannot tell the target from the program name; "
			        "name the corpus directory or files\n", argv[0]);
			printf("0 passed, 1 failed\n");
			return 1;
		}
		const char *src = getenv("MAILAUTH_SRCDIR");
		if (!src || !*src)
			src = ".";
		size_t len = strlen(src) + strlen("/tests/fuzz/corpus/") + strlen(prog + plen) + 1;
		char *dir = malloc(len);
		if (!dir) {
			printf("0 passed, 1 failed\n");
			return 1;
		}
		snprintf(dir, len, "%s/tests/fuzz/corpus/%s", src, prog + plen);
		printf("replaying %s\n", dir);
		run_path(dir);
		free(dir);
	}
	printf("%lu passed, %lu failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
