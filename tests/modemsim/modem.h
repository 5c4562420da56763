/* modem.h - the simulated modem: one serial line's worth of AT dialogue.
 *
 * I/O-free: main.c feeds received bytes (modem_receive), calls modem_run
 * whenever something happened or modem_deadline() passed, and writes out
 * what modem_output() holds. Latencies are timers, never sleeps: while a
 * reply is pending the modem reads no further input, like a real modem
 * busy with a command.
 *
 * The struct is shared by modem.c (input, framing, timers, URCs),
 * commands.c (the AT command table) and cmgs.c (AT+CMGS and the PDU);
 * everyone else treats its fields as private.
 */
#ifndef MODEMSIM_MODEM_H
#define MODEMSIM_MODEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "faults.h"
#include "options.h"
#include "pdu.h"
#include "unit.h"

#define MODEM_IN_MAX 4096
#define MODEM_LINE_MAX 512
#define MODEM_PDU_HEX_MAX 1024
#define MODEM_CDS_MAX 64
#define MODEM_OUT_MAX (1024 * 1024)

enum modem_state {
	MODEM_COMMAND,          /* reading command lines */
	MODEM_PDU,              /* after "> ": reading hex until Ctrl-Z / ESC */
	MODEM_NO_PROMPT,        /* --no-prompt: waiting for ESC */
	MODEM_BUSY,             /* a reply is due at busy_until */
};

enum sim_state { SIM_READY, SIM_PIN, SIM_PUK };

/* Settings that a power cycle (or --reset-on-connect) resets. */
struct modem_settings {
	bool echo;
	int cmee;
	int cmgf;
	int creg_mode;
	int csms;
	int cnmi[5];
	char csca[24];
};

struct pending_cds {
	int64_t due;
	char to[PDU_ADDR_MAX];
	uint8_t mr;
	uint8_t st;
};

struct byte_buf {
	uint8_t *data;
	size_t len, cap;
};

struct modem {
	const struct sim_options *opt;
	struct fault_plan *faults;
	struct units *units;
	struct prng garbage_rng;
	struct modem_settings set;

	/* SIM and network: persist across connections. */
	enum sim_state sim;
	int pin_wrong;
	int64_t sim_ready_at;   /* registration starts here */
	int creg_last;          /* last +CREG stat reported (URC) */

	unsigned long cmgs_count;       /* n of the last AT+CMGS */
	int64_t sm_ok_us;               /* --timing: when the last SM's OK went out */
	int64_t cmgs_gap_us;            /* --timing: that OK to this AT+CMGS, -1 first */
	bool reply_ends_sm;             /* the reply being held is an SM's +CMGS/OK */
	uint8_t mr_next;

	/* The current connection. */
	bool connected;
	bool hangup;            /* main must close the connection */
	enum modem_state state;
	enum modem_state after_busy;
	int64_t busy_until;
	struct byte_buf reply;  /* framed reply waiting for busy_until */
	struct byte_buf out;    /* bytes for the client */

	uint8_t in[MODEM_IN_MAX];
	size_t in_len;
	char line[MODEM_LINE_MAX];
	size_t line_len;
	bool line_overflow;

	unsigned long cur_n;    /* the AT+CMGS being served */
	int cur_len;
	char pdu_hex[MODEM_PDU_HEX_MAX];
	size_t pdu_len;
	bool pdu_overflow;

	struct pending_cds cds[MODEM_CDS_MAX];
	size_t ncds;
	int64_t garbage_due;
};

/* --- modem.c: lifecycle and main-loop interface ------------------------ */

/* Sets up m at power-on. opt, faults and units are borrowed. */
void modem_init(struct modem *m, const struct sim_options *opt, struct fault_plan *faults,
		struct units *units, int64_t now);
void modem_release(struct modem *m);

/* A client connected / left (logs CONNECT / DISCONNECT). */
void modem_connect(struct modem *m, int64_t now);
void modem_disconnect(struct modem *m);

/* Free room in the input buffer; modem_receive takes at most this much. */
size_t modem_input_room(const struct modem *m);
void modem_receive(struct modem *m, const uint8_t *data, size_t n);

/* Processes buffered input and due timers. */
void modem_run(struct modem *m, int64_t now);
/* Monotonic ms at which modem_run must be called next; INT64_MAX if none. */
int64_t modem_deadline(const struct modem *m);

/* Pending output; after writing some, drop it with modem_output_consumed. */
const uint8_t *modem_output(const struct modem *m, size_t *len);
void modem_output_consumed(struct modem *m, size_t n);

/* --- shared by commands.c / cmgs.c ------------------------------------- */

/* Appends one framed line "\r\n<text>\r\n" to the pending reply (with
 * --garbage, sometimes preceded by an unsolicited line). */
void modem_reply_line(struct modem *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends raw bytes to the pending reply (the "\r\n> " prompt). */
void modem_reply_raw(struct modem *m, const char *text);
/* Schedules the pending reply after latency_ms, then enters next. */
void modem_reply_send(struct modem *m, int64_t now, int64_t latency_ms, enum modem_state next);
/* Shorthands: final result "OK"/"ERROR" after --cmd-latency. */
void modem_ok(struct modem *m, int64_t now);
void modem_error(struct modem *m, int64_t now);
/* "+CME ERROR: <code>" in the form AT+CMEE selects, after --cmd-latency. */
void modem_cme_error(struct modem *m, int64_t now, int code);

/* Power cycle: settings to defaults, SIM locked again when --pin (a PUK
 * lock stays), registration restarts, pending status reports are lost. */
void modem_power_cycle(struct modem *m, int64_t now);
/* Current +CREG stat (0 not registered, 1 home, 2 searching). */
int modem_creg_stat(const struct modem *m, int64_t now);
/* Queues a +CDS for when the modem is idle after due. */
void modem_queue_cds(struct modem *m, int64_t due, const char *to, uint8_t mr, uint8_t st);

/* --- commands.c -------------------------------------------------------- */

/* Executes one command line (without the terminating CR). */
void commands_execute(struct modem *m, const char *line, int64_t now);

/* --- cmgs.c ------------------------------------------------------------ */

/* AT+CMGS=<args>: counts the send, refuses or prompts. */
void cmgs_start(struct modem *m, const char *args, int64_t now);
/* One byte in MODEM_PDU or MODEM_NO_PROMPT state. */
void cmgs_input(struct modem *m, uint8_t c, int64_t now);

#endif
