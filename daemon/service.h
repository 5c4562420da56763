/* service.h - otapd's side of the systemd service protocol (sd_notify(3)):
 * readiness, reload and stop notices, and watchdog pings. Every call does
 * nothing when otapd was not started by systemd with Type=notify (no
 * $NOTIFY_SOCKET), so the daemon runs the same by hand. */
#ifndef OTAPD_SERVICE_H
#define OTAPD_SERVICE_H

#include <stdint.h>

/* READY=1 with a STATUS= line for `systemctl status`: the threads run. */
void service_ready(const char *status);

/* RELOADING=1: a SIGHUP reload begins; service_ready() ends it. */
void service_reloading(void);

/* STOPPING=1: shutdown began (threads finish their exchanges). */
void service_stopping(void);

/* The watchdog interval systemd expects pings within (WatchdogSec=), in
 * ms, or 0 when no watchdog is set for this process. */
int64_t service_watchdog_ms(void);

/* WATCHDOG=1: otapd's main thread is alive. */
void service_watchdog_ping(void);

#endif
