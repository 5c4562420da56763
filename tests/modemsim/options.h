/* options.h - command line of otap-modemsim: parsing, validation, --help. */
#ifndef MODEMSIM_OPTIONS_H
#define MODEMSIM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "errbuf.h"
#include "faults.h"

#define OPTIONS_HOST_MAX 256
#define OPTIONS_PORT_MAX 16
#define OPTIONS_IMEI_DEFAULT "351234567890124"

struct sim_options {
	char listen_host[OPTIONS_HOST_MAX];     /* default 127.0.0.1 */
	char listen_port[OPTIONS_PORT_MAX];     /* default 0 (ephemeral) */
	const char *port_file;                  /* NULL = none */
	const char *log_file;                   /* required */
	const char *fleet_file;                 /* NULL = every number default */
	const char *pin;                        /* NULL = SIM unlocked (secret) */
	int64_t latency_ms;                     /* before the +CMGS answer */
	int64_t cmd_latency_ms;                 /* before any other answer */
	int64_t cds_delay_ms;                   /* +CMGS answer -> +CDS */
	int64_t register_after_ms;              /* -1 = registered at once */
	int64_t notify_delay_ms;                /* default for units */
	bool not_registered;
	bool garbage;
	bool timing;                            /* gap_us= on SM lines */
	bool reset_on_connect;
	bool verbose;
	uint64_t seed;
	int default_notify;                     /* FLEET_NOTIFY_NONE or a code */
	bool download;                          /* units without download= download */
	int mr_start;                           /* 0-255 */
	char imei[16];                          /* the modem's own IMEI (AT+CGSN) */
	struct fault_plan faults;
};

enum options_result { OPTIONS_RUN, OPTIONS_EXIT_OK, OPTIONS_ERROR };

/* Parses argv into out. Returns OPTIONS_RUN, OPTIONS_EXIT_OK after --help,
 * or OPTIONS_ERROR with a reason in err (never containing the PIN). The
 * strings in out point into argv. */
enum options_result options_parse(int argc, char **argv, struct sim_options *out,
				  struct errbuf *err);

/* Prints --help (options and the event log format) to f. */
void options_usage(FILE *f);

#endif
