/* claims.c - bench_claims: how many jobs a second P processes take through
 * the store (store_claim, then store_mark_sent: one send's two
 * transactions, no modem), on a queue filled beforehand.
 * Usage: bench_claims LOCATION PROCESSES
 * Prints: "<processes> processes: <jobs> jobs in <s> s: <rate> claims/s".
 * The password of a PostgreSQL location comes from PGPASSFILE. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

#define T0 1700000000000LL

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Claims and marks sent until the queue is empty; writes its count to fd. */
static int claimer(const char *location, int n, int fd)
{
	struct store *s;
	struct errbuf err = { "" };
	char modem[16], instance[32];
	snprintf(modem, sizeof modem, "m%d", n);
	snprintf(instance, sizeof instance, "bench-%d", n);
	if (store_set_instance(instance, &err) < 0 || store_open(location, &s, &err) < 0) {
		fprintf(stderr, "open: %s\n", err.msg);
		return 1;
	}
	int64_t done = 0;
	struct job job;
	int rc;
	while ((rc = store_claim(s, modem, T0, &job, &err)) == 1) {
		struct job_outcome o = { .modem = modem, .started_at = T0, .finished_at = T0,
					 .cms_error = -1, .mrs = "1" };
		if (store_mark_sent(s, job.id, &o, NULL, &err) < 0)
			break;
		done++;
	}
	if (err.msg[0])
		fprintf(stderr, "claimer %d: %s\n", n, err.msg);
	store_close(s);
	return write(fd, &done, sizeof done) == (ssize_t)sizeof done ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc != 3 || atoi(argv[2]) < 1) {
		fprintf(stderr, "usage: bench_claims LOCATION PROCESSES\n");
		return 2;
	}
	int procs = atoi(argv[2]);
	int pipefd[2];
	if (pipe(pipefd) < 0)
		return 1;
	double start = now_s();
	for (int i = 0; i < procs; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(claimer(argv[1], i, pipefd[1]));
	}
	close(pipefd[1]);
	int64_t total = 0, one;
	while (read(pipefd[0], &one, sizeof one) == (ssize_t)sizeof one)
		total += one;
	while (wait(NULL) > 0)
		;
	double secs = now_s() - start;
	printf("%d processes: %" PRId64 " jobs in %.2f s: %.0f claims/s\n", procs, total, secs,
	       (double)total / secs);
	return 0;
}
