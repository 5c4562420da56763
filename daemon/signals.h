/* signals.h - the main thread's wait: SIGTERM/SIGINT end it, SIGHUP asks
 * for a reload, and the systemd watchdog is pinged in between. The worker
 * threads never see these signals. */
#ifndef OTAPD_SIGNALS_H
#define OTAPD_SIGNALS_H

/* Blocks SIGTERM, SIGINT and SIGHUP in the calling thread, and so in every
 * thread it starts later, and ignores SIGPIPE. Call first in main(): until
 * the wait, a SIGHUP stays pending instead of killing otapd. */
void signals_block(void);

/* Waits for SIGTERM or SIGINT and returns its number. Calls on_hup(arg)
 * for each SIGHUP meanwhile. When systemd set a watchdog, pings it at half
 * its interval (a timed wait, so no periodic wake-ups without one). */
int signals_wait(void (*on_hup)(void *arg), void *arg);

#endif
