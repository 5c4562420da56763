/* modem.h - one GSM modem: its link plus the pure AT state machine, with
 * the I/O loop that moves bytes between them. */
#ifndef OTAPD_MODEM_H
#define OTAPD_MODEM_H

#include <stdatomic.h>
#include <stdbool.h>
#include "at.h"
#include "at_trace.h"
#include "config.h"
#include "errbuf.h"
#include "link.h"

struct modem {
	const struct cfg_modem *cfg;
	struct link link;
	struct at_session at;
	struct at_trace_lines trace;    /* the modem's partial line, for the debug trace */
	bool open;
	const atomic_bool *stop;        /* daemon shutdown requested */
	int wake_fd;                    /* readable once *stop is set (daemon/stop.h) */
};

/* Prepares m (nothing is opened). The AT session lives as long as m, so the
 * SIM PIN is sent at most once per daemon start, across reconnects. stop and
 * wake_fd are the daemon's shutdown flag and wake-up (borrowed). */
void modem_setup(struct modem *m, const struct cfg_modem *cfg, bool status_reports,
		 const atomic_bool *stop, int wake_fd);

/* Opens the link and runs the init sequence. Returns 0 when the modem is
 * ready; -1 with a reason otherwise (*fatal set when retrying would be
 * harmful, e.g. a rejected PIN). The link is closed on failure. */
int modem_connect(struct modem *m, bool *fatal, struct errbuf *err);

/* modem_connect in two steps, so the caller can tell connecting from
 * initialising: opens the link (0 or -1 with a reason); then runs the init
 * sequence on the open link (same results as modem_connect). */
int modem_open(struct modem *m, struct errbuf *err);
int modem_initialise(struct modem *m, bool *fatal, struct errbuf *err);

/* Moves bytes until an event is available (returns 1, *ev filled), until
 * the monotonic time `until` or a shutdown while no exchange is in progress
 * (returns 0; the wait ends at once, the link and the shutdown wake-up are
 * polled together), or until the link fails (returns -1, link closed,
 * reason in err). Ticks the AT timeouts. */
int modem_poll(struct modem *m, int64_t until, struct at_event *ev, struct errbuf *err);
/* modem_poll that also ends (returning 0) when queue_fd (-1: none; the
 * store's wake fd) becomes readable, for an idle modem's wait. */
int modem_poll_or(struct modem *m, int64_t until, int queue_fd, struct at_event *ev,
		  struct errbuf *err);

/* Closes the link (the AT session keeps its once-per-start PIN memory). */
void modem_disconnect(struct modem *m);

#endif
