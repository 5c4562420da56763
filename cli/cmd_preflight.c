/* cmd_preflight.c - `otapctl preflight --profile NAME [--json]`: checks a
 * profile's download from here before the fleet tries it (cli/preflight.c
 * does the checks; rollout create runs the same ones). */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "preflight.h"

static const char preflight_usage[] =
	"usage: otapctl [-c FILE] preflight --profile NAME [--json]\n"
	"\n"
	"Checks what the units of profile NAME will download, the way they\n"
	"download it, before a rollout sends them there:\n"
	"  jad_url       the JAD fetched from the URL the SMS carries (with http_user/\n"
	"                http_password when set): DNS, connection, HTTP status, TLS\n"
	"                certificate; MIDlet-Name, -Vendor, -Version, -Jar-URL and\n"
	"                -Jar-Size present; the JAR fetched from MIDlet-Jar-URL (relative\n"
	"                to the JAD's URL), its size equal to MIDlet-Jar-Size (else the\n"
	"                units report 904), its META-INF/MANIFEST.MF agreeing with the JAD\n"
	"                on name, vendor and version (else 905); a warning when the JAD\n"
	"                names MIDlet-Install-Notify\n"
	"  jar_file/jad_file  the JAD's attributes, the JAR's manifest, and otapd's\n"
	"                listener answering GET <notify.public_url>/healthz\n"
	"Limits: connect 5 s, each fetch 30 s, the JAR at most 64 MiB.\n"
	"otapctl rollout create runs these checks too (--no-preflight skips them).\n"
	"\n"
	"  -p, --profile NAME    OTAP profile from the config\n"
	"      --json            {profile, ok, checks: [{name, ok, warning, detail}]}\n"
	"  -h, --help            show this help\n"
	"\n"
	"Exit status: 0 every check passed (warnings allowed), 1 a problem found,\n"
	"2 bad usage or an unknown profile.\n";

enum { OPT_JSON = 256 };

static const struct option preflight_options[] = {
	{ "profile", required_argument, NULL, 'p' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_preflight(int argc, char **argv, struct cli_ctx *ctx)
{
	const char *name = NULL;
	bool json = false;
	int c, rc;
	if (cli_wants_help(argc, argv, preflight_usage))
		return EXIT_OK;
	while ((c = getopt_long(argc, argv, ":hp:", preflight_options, NULL)) != -1) {
		if (c == 'p')
			name = optarg;
		else if (c == OPT_JSON)
			json = true;
		else if (c != 'h')
			return cli_bad_option("preflight", argv, preflight_options, c);
	}
	if (optind < argc)
		return cli_fail(EXIT_USAGE, "preflight: unexpected argument '%s'", argv[optind]);
	if (!name)
		return cli_fail(EXIT_USAGE, "preflight: --profile NAME is required");
	if ((rc = cli_load_config(ctx)) != EXIT_OK)
		return rc;
	const struct otap_profile *p = cfg_profile(&ctx->cfg, name);
	if (!p) {
		char names[512];
		cfg_profile_names(&ctx->cfg, names, sizeof names);
		return cli_fail(EXIT_USAGE, "preflight: unknown profile '%s' (configured: %s)", name,
				names);
	}
	struct preflight_report report;
	preflight_run(&ctx->cfg, p, &report);
	if (json) {
		if (preflight_print_json(stdout, &report) < 0)
			return EXIT_RUNTIME;
	} else {
		preflight_print_text(stdout, &report);
	}
	return report.ok ? EXIT_OK : EXIT_RUNTIME;
}
