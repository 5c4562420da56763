/* service.c - sd_notify(3) messages to systemd (service.h), via libsystemd. */
#include "service.h"

#include <stdio.h>
#include <systemd/sd-daemon.h>
#include "log.h"

/* A failed notification is worth a debug line, not more: systemd then
 * sees a missing READY or ping and acts on it itself. */
static void notify(const char *msg)
{
	int rc = sd_notify(0, msg);
	if (rc < 0)
		log_debug("sd_notify(%s) failed: error %d", msg, -rc);
}

void service_ready(const char *status)
{
	char msg[256];
	snprintf(msg, sizeof msg, "READY=1\nSTATUS=%s", status);
	notify(msg);
}

void service_reloading(void)
{
	notify("RELOADING=1");
}

void service_stopping(void)
{
	notify("STOPPING=1\nSTATUS=stopping: finishing the current exchanges");
}

int64_t service_watchdog_ms(void)
{
	uint64_t usec = 0;
	/* 0 = no watchdog (or it is meant for another process: WATCHDOG_PID). */
	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	int64_t ms = (int64_t)(usec / 1000);
	return ms > 0 ? ms : 1;
}

void service_watchdog_ping(void)
{
	notify("WATCHDOG=1");
}
