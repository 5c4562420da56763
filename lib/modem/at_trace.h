/* at_trace.h - the AT dialogue as shown in the debug log, secrets masked.
 *
 * Pure: no I/O, no logging. The daemon shows each unit it writes to a modem
 * ("> " lines) and each line the modem sends ("< " lines) through these
 * functions, and never the raw bytes: the SIM PIN in AT+CPIN= (and the
 * passwords of AT+CPWD= and AT+CLCK=) become "****", the user data of an
 * SMS-SUBMIT PDU (the OTAP body carries the profile's password) becomes
 * "…(N octets of user data)", wherever the PDU appears (written after the
 * prompt, or echoed back by a modem whose echo is on). Status reports
 * (+CDS PDU lines) hold no secret and are shown whole. Control bytes are
 * escaped (textesc.h): Ctrl-Z shows as \x1a, ESC as \x1b.
 */
#ifndef OTAP_AT_TRACE_H
#define OTAP_AT_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include "at.h"

/* Room for the shown form of any unit or line (escaping quadruples). */
#define AT_TRACE_SHOWN_MAX (4 * AT_OUT_MAX + 64)

/* Length of the first unit of bytes[0..n) otapd writes: up to and including
 * the first CR (a command), Ctrl-Z (a PDU) or ESC (an abort), else all n.
 * Returns 0 only when n is 0. */
size_t at_trace_out_unit(const char *bytes, size_t n);

/* Writes the shown form of one unit otapd writes (bytes[0..n), as cut by
 * at_trace_out_unit) into buf (cap bytes, always NUL-terminated when
 * cap > 0): a command without its CR, arguments of secret commands masked;
 * a PDU with its user data masked (hex that is no SMS-SUBMIT is masked
 * whole), its Ctrl-Z escaped. Returns the length written. */
size_t at_trace_mask_out(const char *bytes, size_t n, char *buf, size_t cap);

/* The same for one line the modem sent (line[0..n), without CR/LF): an echo
 * of a command or of a PDU (after any "> " prompts) is masked as above; a
 * status report PDU and every other line are shown escaped. */
size_t at_trace_mask_in(const char *line, size_t n, char *buf, size_t cap);

/* Cuts the byte stream from a modem into lines for at_trace_mask_in. */
#define AT_TRACE_LINE_MAX AT_LINE_MAX
struct at_trace_lines {
	char line[AT_TRACE_LINE_MAX];
	size_t len;
	bool overlong;          /* the current line outgrew line[]: not shown */
};

/* Forgets any partial line (a new connection). */
void at_trace_lines_reset(struct at_trace_lines *t);

/* Consumes bytes from *bytes (*n left) until a line is complete, then writes
 * its shown form into buf (cap bytes) and returns true; returns false once
 * all input is consumed without completing a line (the partial line is kept
 * for the next call). A line ends at CR or LF (empty lines are skipped); a
 * pending "> " prompt, which has no terminator, counts as a line when the
 * input runs out. A line longer than AT_TRACE_LINE_MAX is shown as its
 * length only. */
bool at_trace_lines_take(struct at_trace_lines *t, const char **bytes, size_t *n, char *buf,
			 size_t cap);

#endif
