/* cmd_pdu.c - `otapctl pdu`: prints the PDUs a job would send, built by the
 * same jobmsg_build() the daemon uses, without touching a modem. Only
 * --job reads the database (and gives the job its notify token if it has
 * none yet, exactly as otapd would before sending). */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "jobmsg.h"
#include "msisdn.h"
#include "notify.h"
#include "notify_apply.h"

static const char pdu_usage[] =
	"usage: otapctl [-c FILE] pdu --to MSISDN --profile NAME [--action install|delete]\n"
	"               [--smsc NUMBER] [-v]\n"
	"       otapctl [-c FILE] pdu --job JOB_ID [--smsc NUMBER] [-v]\n"
	"\n"
	"Prints one line of hex per short message, exactly what is written after\n"
	"the AT+CMGS prompt (without the Ctrl-Z), and nothing else on stdout.\n"
	"Decode a line with otapctl decode.\n"
	"\n"
	"The SMSC field is 00 (the SIM's SMSC) unless --smsc is given. The daemon\n"
	"builds the same message with the sending modem's configured smsc, which\n"
	"changes only that field.\n"
	"\n"
	"With a notify listener configured, otapd puts each job's own NOTIFYURL\n"
	"(with its token) into the message: --job shows the PDUs of that queued\n"
	"job exactly; --to/--profile then leave NOTIFYURL out (and say so).\n"
	"\n"
	"      --job JOB_ID      the PDUs of an existing job, NOTIFYURL included\n"
	"  -t, --to MSISDN       unit's number\n"
	"  -p, --profile NAME    OTAP profile from the config\n"
	"  -a, --action ACTION   install (default) or delete\n"
	"      --smsc NUMBER     preview with this SMSC address\n"
	"  -v, --verbose         also print \"part i/n: AT+CMGS=<len>\" to stderr\n"
	"  -h, --help            show this help\n"
	"\n"
	"Exit status: 0 printed, 2 bad usage or invalid input (number, profile,\n"
	"action, or a message that does not build).\n";

enum { OPT_SMSC = 256, OPT_JOB };

static const struct option pdu_options[] = {
	{ "to", required_argument, NULL, 't' },
	{ "profile", required_argument, NULL, 'p' },
	{ "action", required_argument, NULL, 'a' },
	{ "smsc", required_argument, NULL, OPT_SMSC },
	{ "job", required_argument, NULL, OPT_JOB },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct pdu_args {
	int64_t job_id;                 /* 0 = none */
	const char *to;
	const char *profile;
	const char *smsc;
	enum otap_action action;
	bool verbose;
};

static int parse_args(int argc, char **argv, struct pdu_args *a)
{
	int c;

	while ((c = getopt_long(argc, argv, ":ht:p:a:v", pdu_options, NULL)) != -1) {
		switch (c) {
		case 't': a->to = optarg; break;
		case 'p': a->profile = optarg; break;
		case OPT_SMSC: a->smsc = optarg; break;
		case OPT_JOB:
			if (cli_parse_id(optarg, &a->job_id) < 0)
				return cli_fail(EXIT_USAGE, "pdu: invalid job id '%s'", optarg);
			break;
		case 'v': a->verbose = true; break;
		case 'h': break;
		case 'a':
			if (otap_action_parse(optarg, &a->action) < 0)
				return cli_fail(EXIT_USAGE, "pdu: invalid action '%s' "
						"(expected install or delete)", optarg);
			break;
		default:
			return cli_bad_option("pdu", argv, pdu_options, c);
		}
	}
	if (optind < argc)
		return cli_fail(EXIT_USAGE, "pdu: unexpected argument '%s' (see otapctl pdu --help)",
				argv[optind]);
	if (a->job_id && (a->to || a->profile))
		return cli_fail(EXIT_USAGE, "pdu: --job cannot be combined with --to/--profile");
	if (!a->job_id && (!a->to || !a->profile))
		return cli_fail(EXIT_USAGE, "pdu: --to MSISDN and --profile NAME (or --job ID) are required");
	return EXIT_OK;
}

static int check_numbers(const struct pdu_args *a)
{
	const char *why = msisdn_check_destination(a->to);

	if (why)
		return cli_fail(EXIT_USAGE, "pdu: invalid MSISDN '%s': %s", a->to, why);
	if (a->smsc && (why = msisdn_check(a->smsc)))
		return cli_fail(EXIT_USAGE, "pdu: invalid --smsc '%s': %s", a->smsc, why);
	return EXIT_OK;
}

static void print_parts(const struct jobmsg *msg, bool verbose)
{
	for (size_t i = 0; i < msg->count; i++) {
		if (verbose)
			fprintf(stderr, "part %zu/%zu: AT+CMGS=%d\n", i + 1, msg->count,
				msg->parts[i].tpdu_len);
		printf("%s\n", msg->parts[i].hex);
	}
}

/* Reads job id and its profile as its message carries it (its own
 * NOTIFYURL and JADURL). */
static int load_job(struct cli_ctx *ctx, int64_t id, struct job *job,
		    struct otap_job_profile *jp)
{
	struct store *q;
	struct errbuf err;
	int rc = cli_open_existing_queue(ctx, &q);
	if (rc != EXIT_OK)
		return rc;
	int found = store_get(q, id, job, &err);
	if (found == 0)
		rc = cli_fail(EXIT_RUNTIME, "pdu: no such job %lld", (long long)id);
	else if (found < 0)
		rc = cli_fail(EXIT_RUNTIME, "pdu: %s", err.msg);
	else if (!cfg_profile(&ctx->cfg, job->profile))
		rc = cli_fail(EXIT_USAGE, "pdu: job %lld: unknown profile '%s'", (long long)id,
			      job->profile);
	else if (notify_job_profile(q, id, ctx->cfg.notify.public_url,
				    cfg_profile(&ctx->cfg, job->profile), jp, &err) < 0)
		rc = cli_fail(EXIT_RUNTIME, "pdu: %s", err.msg);
	store_close(q);
	return rc;
}

int cmd_pdu(int argc, char **argv, struct cli_ctx *ctx)
{
	struct pdu_args a = { .action = OTAP_ACTION_INSTALL };
	struct errbuf err = { { 0 } };
	struct jobmsg msg;
	int rc;

	if (cli_wants_help(argc, argv, pdu_usage))
		return EXIT_OK;
	if ((rc = parse_args(argc, argv, &a)) != EXIT_OK)
		return rc;
	if ((rc = cli_load_config(ctx)) != EXIT_OK)
		return rc;
	struct otap_job_profile jp = { 0 };
	struct job job;
	if (a.job_id && (rc = load_job(ctx, a.job_id, &job, &jp)) != EXIT_OK)
		return rc;
	if (a.job_id) {
		a.to = job.msisdn;
		a.profile = job.profile;
		a.action = job.action;
	} else if (ctx->cfg.notify.public_url) {
		cli_warn("otapd adds each job's own NOTIFYURL; use --job ID to see a job's exact PDUs");
	}
	if ((rc = check_numbers(&a)) != EXIT_OK)
		return rc;
	const struct otap_profile *profile = cfg_profile(&ctx->cfg, a.profile);
	if (!profile)
		return cli_fail(EXIT_USAGE, "pdu: unknown profile '%s'", a.profile);
	if (!a.job_id)
		jp.profile = *profile;
	if (jobmsg_build(&jp.profile, a.action, a.to, a.smsc,
			 jp.notify_url[0] ? jp.notify_url : NULL, &msg, &err) < 0)
		return cli_fail(EXIT_USAGE, "pdu: profile '%s' cannot be sent to %s: %s",
				profile->name, a.to, err.msg);
	if (msg.no_password)
		cli_warn("profile %s has no password; the module will reject the message "
			 "if it has one set", profile->name);
	print_parts(&msg, a.verbose);
	return EXIT_OK;
}
