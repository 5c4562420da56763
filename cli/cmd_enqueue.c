/* cmd_enqueue.c - `otapctl enqueue`: validates one unit's OTAP job as far as
 * the daemon would (number, profile, message body) and queues it. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "jobmsg.h"
#include "msisdn.h"
#include "notify.h"
#include "notify_apply.h"

#define MAX_ATTEMPTS_LIMIT 1000

static const char enqueue_usage[] =
	"usage: otapctl [-c FILE] [--db PATH] enqueue --to MSISDN --profile NAME\n"
	"               [--action install|delete] [--at TIME] [--until TIME]\n"
	"               [--max-attempts N] [--imei IMEI]\n"
	"\n"
	"Queues one OTAP job and prints only its id. Everything the daemon will\n"
	"need is checked first: the number, that the profile exists in the config,\n"
	"and that its OTAP message builds for this number.\n"
	"\n"
	"  -t, --to MSISDN       unit's number: +<country><number> or national digits\n"
	"  -p, --profile NAME    OTAP profile from the config\n"
	"  -a, --action ACTION   install (default) or delete\n"
	"      --at TIME         not before TIME: now (default), +DURATION (+30m, +2h),\n"
	"                        \"YYYY-MM-DD HH:MM[:SS]\" or YYYY-MM-DDTHH:MM[:SS] in\n"
	"                        local time, with a trailing Z for UTC\n"
	"      --until TIME      not after TIME (same forms as --at): a job still unsent\n"
	"                        then fails with last error \"expired\" instead\n"
	"      --max-attempts N  tries before the job fails (1-1000; default: the\n"
	"                        config's retry.max_attempts)\n"
	"      --imei IMEI       the unit's IMEI (15 digits): matches its install\n"
	"                        notification when the JAD names a fleet-wide notify URL\n"
	"  -h, --help            show this help\n"
	"\n"
	"Exit status: 0 queued, 1 database error, 2 bad usage or invalid input\n"
	"(number, profile, action, time, or a message that does not build).\n";

enum { OPT_AT = 256, OPT_UNTIL, OPT_MAX_ATTEMPTS, OPT_IMEI };

static const struct option enqueue_options[] = {
	{ "to", required_argument, NULL, 't' },
	{ "profile", required_argument, NULL, 'p' },
	{ "action", required_argument, NULL, 'a' },
	{ "at", required_argument, NULL, OPT_AT },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS },
	{ "imei", required_argument, NULL, OPT_IMEI },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct enqueue_args {
	const char *to;
	const char *profile;
	const char *action;
	const char *at;
	const char *until;
	const char *max_attempts;
	const char *imei;
};

static int parse_args(int argc, char **argv, struct enqueue_args *a)
{
	int c;

	while ((c = getopt_long(argc, argv, ":ht:p:a:", enqueue_options, NULL)) != -1) {
		switch (c) {
		case 't': a->to = optarg; break;
		case 'p': a->profile = optarg; break;
		case 'a': a->action = optarg; break;
		case OPT_AT: a->at = optarg; break;
		case OPT_UNTIL: a->until = optarg; break;
		case OPT_MAX_ATTEMPTS: a->max_attempts = optarg; break;
		case OPT_IMEI: a->imei = optarg; break;
		case 'h': break;
		default: return cli_bad_option("enqueue", argv, enqueue_options, c);
		}
	}
	if (optind < argc)
		return cli_fail(EXIT_USAGE, "enqueue: unexpected argument '%s' (see otapctl enqueue --help)",
				argv[optind]);
	if (!a->to)
		return cli_fail(EXIT_USAGE, "enqueue: --to MSISDN is required");
	if (!a->profile)
		return cli_fail(EXIT_USAGE, "enqueue: --profile NAME is required");
	return EXIT_OK;
}

/* Checks what needs no config: number, action, time, attempts. */
static int check_job_fields(const struct enqueue_args *a, int64_t now, struct job_new *job)
{
	struct errbuf err = { { 0 } };
	const char *why = msisdn_check_destination(a->to);

	if (why)
		return cli_fail(EXIT_USAGE, "enqueue: invalid MSISDN '%s': %s", a->to, why);
	job->msisdn = a->to;
	job->profile = a->profile;
	if (a->action && otap_action_parse(a->action, &job->action) < 0)
		return cli_fail(EXIT_USAGE, "enqueue: invalid action '%s' (expected install or delete)",
				a->action);
	job->not_before = now;
	if (a->at && cli_parse_time(a->at, now, &job->not_before, &err) < 0)
		return cli_fail(EXIT_USAGE, "enqueue: %s", err.msg);
	if (a->at && job->not_before < now - 1000)
		cli_warn("--at %s is in the past; the job is due now", a->at);
	if (a->until && cli_parse_time(a->until, now, &job->deadline, &err) < 0)
		return cli_fail(EXIT_USAGE, "enqueue: --until: %s", err.msg);
	if (a->until && job->deadline <= (job->not_before > now ? job->not_before : now))
		return cli_fail(EXIT_USAGE, "enqueue: --until %s is not after %s", a->until,
				a->at ? "--at" : "now");
	if (a->max_attempts &&
	    cli_parse_int(a->max_attempts, 1, MAX_ATTEMPTS_LIMIT, &job->max_attempts) < 0)
		return cli_fail(EXIT_USAGE, "enqueue: invalid --max-attempts '%s' "
				"(expected a whole number from 1 to %d)", a->max_attempts,
				MAX_ATTEMPTS_LIMIT);
	if (a->imei && (why = notify_imei_check(a->imei)))
		return cli_fail(EXIT_USAGE, "enqueue: invalid --imei '%s': %s", a->imei, why);
	return EXIT_OK;
}

/* Builds the message exactly as the daemon will (SIM's SMSC; the per-job
 * NOTIFYURL and JADURL at their longest when a notify listener is
 * configured, else the profile's own), so a job that cannot be sent is
 * refused now, not later. */
static int check_profile(const struct cli_ctx *ctx, const struct job_new *job)
{
	const struct otap_profile *profile = cfg_profile(&ctx->cfg, job->profile);
	struct errbuf err = { { 0 } };
	struct jobmsg msg;
	char names[512];
	struct otap_job_profile jp;

	if (!profile) {
		cfg_profile_names(&ctx->cfg, names, sizeof names);
		return cli_fail(EXIT_USAGE, "enqueue: unknown profile '%s' (configured: %s)",
				job->profile, names);
	}
	cfg_worst_job_profile(&ctx->cfg, profile, &jp);
	if (jobmsg_build(&jp.profile, job->action, job->msisdn, NULL,
			 jp.notify_url[0] ? jp.notify_url : NULL, &msg, &err) < 0)
		return cli_fail(EXIT_USAGE, "enqueue: profile '%s' cannot be sent to %s: %s",
				profile->name, job->msisdn, err.msg);
	if (msg.no_password)
		cli_warn("profile %s has no password; the module will reject the message "
			 "if it has one set", profile->name);
	return EXIT_OK;
}

int cmd_enqueue(int argc, char **argv, struct cli_ctx *ctx)
{
	struct enqueue_args a = { 0 };
	struct job_new job = { .action = OTAP_ACTION_INSTALL };
	struct errbuf err = { { 0 } };
	struct store *q;
	int64_t now = cli_now_ms(), id;
	int rc;

	if (cli_wants_help(argc, argv, enqueue_usage))
		return EXIT_OK;
	if ((rc = parse_args(argc, argv, &a)) != EXIT_OK)
		return rc;
	if ((rc = check_job_fields(&a, now, &job)) != EXIT_OK)
		return rc;
	if ((rc = cli_load_config(ctx)) != EXIT_OK)
		return rc;
	if ((rc = check_profile(ctx, &job)) != EXIT_OK)
		return rc;
	if (!a.max_attempts)
		job.max_attempts = ctx->cfg.retry.max_attempts >= 1 ? ctx->cfg.retry.max_attempts : 1;
	job.imei = a.imei;
	if ((rc = cli_open_queue(ctx, &q)) != EXIT_OK)
		return rc;
	if (store_enqueue(q, &job, now, &id, &err) < 0) {
		store_close(q);
		return cli_fail(EXIT_RUNTIME, "enqueue: %s", err.msg);
	}
	printf("%lld\n", (long long)id);
	cli_audit(q, ctx, "enqueue", "job %lld queued", (long long)id);
	store_close(q);
	return EXIT_OK;
}
