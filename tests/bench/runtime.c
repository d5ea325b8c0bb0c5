/* runtime.c — run a command and report its time and peak memory with microsecond resolution.
 *
 * /usr/bin/time prints CPU seconds with two decimals, too coarse for runs of a fifth of a second
 * (the libpcap floor takes a few hundredths).  This reports what wait4(2) gives for the child:
 * user and system time to the microsecond, peak RSS in KiB, and the wall time around it.  The
 * command's standard output goes to /dev/null; standard error is inherited.
 *
 *     runtime OUT CMD [ARG...]     OUT gets one line: "wall user sys maxrss_kib"
 *
 * Exits with the command's status (128 + signal when it was killed), 127 when it cannot run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double seconds(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	int status;

	if (argc < 3) {
		fprintf(stderr, "usage: %s OUT CMD [ARG...]\n", argv[0]);
		return 2;
	}
	FILE *out = fopen(argv[1], "w");
	if (!out) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], argv[1], strerror(errno));
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "%s: fork: %s\n", argv[0], strerror(errno));
		return 2;
	}
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			close(fd);
		}
		execvp(argv[2], argv + 2);
		fprintf(stderr, "%s: %s: %s\n", argv[0], argv[2], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "%s: wait4: %s\n", argv[0], strerror(errno));
			return 2;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(out, "%.6f %.6f %.6f %ld\n", wall, seconds(ru.ru_utime), seconds(ru.ru_stime),
	        ru.ru_maxrss);
	fclose(out);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 2;
}
