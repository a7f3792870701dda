/* deliver.c — gzip, report files and the submission command of
 * mailauth-report (see deliver.h).
 *
 * Ownership: every buffer here is the caller's or freed before return.
 */
#include "deliver.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zlib.h>

#include "mailauth_limits.h"

bool deliver_gzip(struct slice data, struct buf *out)
{
	if (data.len > UINT_MAX)
		return false; /* zlib counts in uInt; no report gets near */
	z_stream z;
	memset(&z, 0, sizeof z);
	/* windowBits 15 + 16: a gzip header and trailer (RFC 1952). */
	if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return false;
	uLong bound = deflateBound(&z, (uLong)data.len);
	char *dst = arena_alloc(out->arena, bound);
	if (!dst) {
		deflateEnd(&z);
		return false;
	}
	z.next_in = (Bytef *)(uintptr_t)data.ptr;
	z.avail_in = (uInt)data.len;
	z.next_out = (Bytef *)dst;
	z.avail_out = (uInt)bound;
	int zr = deflate(&z, Z_FINISH);
	size_t n = bound - z.avail_out;
	deflateEnd(&z);
	if (zr != Z_STREAM_END)
		return false;
	buf_add(out, dst, n);
	return !out->err;
}

bool deliver_write_file(const char *dir, struct slice name, struct slice data, char *err,
                        size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int pl = snprintf(path, sizeof path, "%s/%.*s", dir, (int)name.len, name.ptr);
	int tl = snprintf(tmp, sizeof tmp, "%s/.%.*s.%ld.tmp", dir, (int)name.len, name.ptr,
	                  (long)getpid());
	if (pl < 0 || tl < 0 || (size_t)pl >= sizeof path || (size_t)tl >= sizeof tmp) {
		snprintf(err, errlen, "%s: path too long", dir);
		return false;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		return false;
	}
	size_t off = 0;
	while (off < data.len) {
		ssize_t w = write(fd, data.ptr + off, data.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			return false;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return false;
	}
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		unlink(tmp);
		return false;
	}
	return true;
}

bool deliver_sendmail(const char *command, struct slice msg, char *err, size_t errlen)
{
	/* Split the command at blanks into a private copy. */
	size_t clen = strlen(command);
	char *copy = malloc(clen + 1);
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	memcpy(copy, command, clen + 1);
	char *argv[REPORT_MAX_COMMAND_WORDS + 1];
	size_t argc = 0;
	for (char *p = copy; *p;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (argc == REPORT_MAX_COMMAND_WORDS) {
			snprintf(err, errlen, "the command has more than %u words",
			         (unsigned)REPORT_MAX_COMMAND_WORDS);
			free(copy);
			return false;
		}
		argv[argc++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	argv[argc] = NULL;
	if (argc == 0 || argv[0][0] != '/') {
		snprintf(err, errlen, "the command must start with an absolute program path: '%s'",
		         command);
		free(copy);
		return false;
	}

	int pfd[2];
	if (pipe(pfd) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		free(copy);
		return false;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		free(copy);
		return false;
	}
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		close(pfd[1]);
		if (pfd[0] != STDIN_FILENO) {
			dup2(pfd[0], STDIN_FILENO);
			close(pfd[0]);
		}
		execv(argv[0], argv);
		fprintf(stderr, "mailauth-report: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[0]);
	bool wrote = true;
	int werr = 0;
	size_t off = 0;
	while (off < msg.len) {
		ssize_t w = write(pfd[1], msg.ptr + off, msg.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			wrote = false;
			werr = errno;
			break;
		}
		off += (size_t)w;
	}
	close(pfd[1]);
	int status = 0;
	pid_t wr;
	do
		wr = waitpid(pid, &status, 0);
	while (wr < 0 && errno == EINTR);
	bool ok = false;
	if (wr < 0)
		snprintf(err, errlen, "%s: waitpid: %s", argv[0], strerror(errno));
	else if (WIFSIGNALED(status))
		snprintf(err, errlen, "%s was killed by signal %d", argv[0], WTERMSIG(status));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		snprintf(err, errlen, "%s exited with status %d", argv[0], WEXITSTATUS(status));
	else if (!wrote)
		snprintf(err, errlen, "%s did not read the whole message: %s", argv[0],
		         strerror(werr));
	else
		ok = true;
	free(copy);
	return ok;
}
