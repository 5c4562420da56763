/* fuzz_smpp.c - libFuzzer harness for the SMPP layer (lib/smpp): the input
 * is what an SMSC sends on a bound transceiver session, fed in chunks (the
 * first byte picks the chunk size). Checked:
 * - no crash, no read or write outside the buffers, whatever the bytes
 *   (libsmpp34's unpacking of malformed PDUs included);
 * - every event's text is NUL-terminated and the session's windows stay
 *   within their bounds; after SMPP_EV_CLOSED no event comes;
 * - each whole frame also goes through smpp_decode and smpp_trace (whose
 *   output is NUL-terminated and never holds a bind password or a
 *   short_message byte unmasked), and a deliver_sm through
 *   smpp_receipt_parse.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "smpp_receipt.h"
#include "smpp_session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct smpp_session_config cfg = {
	.bind = { .system_id = "otap", .password = "pw" },
	.mode = SMPP_BIND_TRX,
	.window = 4,
	.enquire_link_ms = 1000,
	.response_timeout_ms = 5000,
};

static void check_frames(const uint8_t *data, size_t size)
{
	long len;
	while ((len = smpp_frame_length(data, size)) > 0) {
		struct smpp_pdu p;
		struct errbuf err;
		char trace[512];
		smpp_trace(data, (size_t)len, trace, sizeof trace);
		FUZZ_CHECK(memchr(trace, '\0', sizeof trace) != NULL, "trace not terminated");
		if (smpp_decode(data, (size_t)len, &p, &err) == 0 &&
		    p.command_id == SMPP_DELIVER_SM) {
			struct smpp_receipt r;
			if (smpp_receipt_parse(&p.msg, &r, &err) == 1)
				FUZZ_CHECK(r.message_id[0] != '\0', "receipt without an id");
		}
		data += len;
		size -= (size_t)len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct smpp_session s;
	struct errbuf err;
	struct smpp_event ev;
	if (size < 1)
		return 0;
	size_t chunk = (size_t)data[0] % 64 + 1;
	data++;
	size--;
	check_frames(data, size);
	FUZZ_CHECK(smpp_session_start(&s, &cfg, 0, &err) == 0, "start: %s", err.msg);
	s.state = SMPP_BOUND;           /* as if the bind_resp had come */
	struct smpp_message m = { .sm_len = 1, .sm = "x", .message_state = -1 };
	for (uint64_t tag = 0; smpp_session_can_submit(&s); tag++)
		FUZZ_CHECK(smpp_session_submit(&s, &m, tag, 0, &err) == 0, "submit: %s", err.msg);
	bool closed = false;
	int64_t now = 0;
	for (size_t off = 0; off < size && !closed; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;
		if (smpp_session_feed(&s, data + off, n, now) < 0)
			smpp_session_lost(&s, "overflow");
		while (smpp_session_next_event(&s, now, &ev)) {
			FUZZ_CHECK(!closed, "an event after SMPP_EV_CLOSED");
			FUZZ_CHECK(memchr(ev.text, '\0', sizeof ev.text) != NULL, "text");
			FUZZ_CHECK(ev.msg.sm_len <= SMPP_SM_MAX, "sm_len");
			if (ev.type == SMPP_EV_DELIVER)
				smpp_session_ack(&s, ev.seq, 0);
			closed = ev.type == SMPP_EV_CLOSED;
		}
		FUZZ_CHECK(smpp_session_inflight_count(&s) <= (size_t)cfg.window, "window");
		size_t out;
		smpp_session_output(&s, &out);
		smpp_session_wrote(&s, out);
		now += 100;
	}
	return 0;
}
