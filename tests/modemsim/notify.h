/* notify.h - the units' install-notify HTTP POSTs (MIDP OTA, spec §5).
 *
 * Each POST runs in a forked child so the AT loop never blocks: the child
 * waits the unit's notify delay, POSTs "<code> <text>\n" to the NOTIFYURL
 * (http:// only), reads the status line, logs one NOTIFY event and exits.
 * The parent learns about exits through SIGCHLD and reaps them.
 */
#ifndef MODEMSIM_NOTIFY_H
#define MODEMSIM_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define NOTIFY_URL_MAX 512
#define NOTIFY_CHILDREN_MAX 64

struct notify_request {
	char to[24];                    /* the unit's MSISDN, for the log */
	char url[NOTIFY_URL_MAX];       /* NOTIFYURL as received */
	int code;                       /* 900, 901... */
	int64_t delay_ms;
	char product[32];
	char imei[16];
};

struct notifier {
	pid_t children[NOTIFY_CHILDREN_MAX];
	size_t count;
};

void notifier_init(struct notifier *n);

/* Starts one POST in a child. Returns 0; on failure (fork, too many
 * children) logs a NOTIFY event with http=error:... and returns -1. */
int notify_spawn(struct notifier *n, const struct notify_request *rq);

/* Reaps children that have exited (never blocks). */
void notifier_reap(struct notifier *n);

/* Terminates the remaining children and waits for them (shutdown). */
void notifier_shutdown(struct notifier *n);

/* The MIDP status text for a code ("Success" for 900...), "Unknown" else. */
const char *notify_status_text(int code);

/* Splits an http:// URL. Returns 0, or -1 with a short static reason in
 * *why (used in the log as http=error:<why>). */
int notify_parse_url(const char *url, char *host, size_t hostcap, char *port,
		     size_t portcap, const char **path, const char **why);

#endif
