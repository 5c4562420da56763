/* signals.c - the main thread's signal wait with watchdog pings (signals.h). */
#include "signals.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "clock.h"
#include "service.h"

static void handled_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

void signals_block(void)
{
	sigset_t set;
	handled_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Waits for a signal of set until the monotonic time deadline (-1: no
 * deadline). Returns the signal, or 0 at the deadline or on EINTR. */
static int wait_signal(const sigset_t *set, int64_t deadline)
{
	if (deadline < 0) {
		int sig = sigwaitinfo(set, NULL);
		return sig < 0 ? 0 : sig;
	}
	int64_t left = deadline - clock_mono_ms();
	if (left <= 0)
		return 0;
	struct timespec ts = { .tv_sec = left / 1000, .tv_nsec = (left % 1000) * 1000000 };
	int sig = sigtimedwait(set, NULL, &ts);
	return sig < 0 ? 0 : sig;
}

int signals_wait(void (*on_hup)(void *arg), void *arg)
{
	sigset_t set;
	handled_signals(&set);
	/* Half the interval, as sd_watchdog_enabled(3) recommends: a late
	 * ping still arrives in time. */
	int64_t period = service_watchdog_ms() / 2;
	int64_t next = period > 0 ? clock_mono_ms() + period : -1;
	for (;;) {
		int64_t now = clock_mono_ms();
		if (period > 0 && now >= next) {
			service_watchdog_ping();
			next += period;
			if (next <= now)   /* a long reload: no burst of pings */
				next = now + period;
		}
		int sig = wait_signal(&set, next);
		if (sig == SIGHUP)
			on_hup(arg);
		else if (sig > 0)
			return sig;
	}
}
