/* cli_confirm.c - the guard before cancelling a big rollout: more than
 * CLI_CONFIRM_JOBS queued jobs need a "yes" typed at a terminal, or --yes
 * when stdin is not one (scripts must say so explicitly). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Reads a line from stdin; true for "y" or "yes". */
static bool read_yes(void)
{
	char line[16];
	if (!fgets(line, sizeof line, stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return strcmp(line, "y") == 0 || strcmp(line, "yes") == 0;
}

int cli_confirm_rollout_cancel(struct store *q, const char *cmd, const char *name, bool yes)
{
	struct errbuf err = { { 0 } };
	struct rollout r;
	int64_t counts[JOB_STATE_COUNT] = { 0 }, wave_final, wave_failed;
	int found = store_rollout_get(q, name, &r, &err);
	if (found < 0 || (found > 0 && store_rollout_counts(q, &r, counts, &wave_final,
							      &wave_failed, &err) < 0))
		return cli_fail(EXIT_RUNTIME, "%s: %s", cmd, err.msg);
	int64_t queued = counts[JOB_QUEUED];
	if (found == 0 || yes || queued <= CLI_CONFIRM_JOBS)
		return EXIT_OK;     /* the cancel itself reports a missing rollout */
	if (isatty(STDIN_FILENO) != 1)
		return cli_fail(EXIT_USAGE, "%s: rollout %s has %" PRId64 " queued jobs (more than %d); "
				"add --yes to cancel them without a terminal to confirm on",
				cmd, name, queued, CLI_CONFIRM_JOBS);
	fprintf(stderr, "Cancel rollout %s and its %" PRId64 " queued jobs? [y/N] ", name, queued);
	fflush(stderr);
	if (!read_yes())
		return cli_fail(EXIT_USAGE, "%s: not confirmed; rollout %s left as it was", cmd, name);
	return EXIT_OK;
}
