/* link_serial.c - modem link over a serial port with libserialport, 8N1.
 *
 * A thin layer: the AT logic above it is the same as for TCP (and tested
 * there, since libserialport 0.1.1 cannot open pseudo-terminals). */
#include "link.h"

#include <errno.h>
#include <libserialport.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Formats libserialport's last error verbatim, with the device name. */
static int serial_fail(const struct link *l, const char *what, enum sp_return rc,
		       struct errbuf *err)
{
	if (rc == SP_ERR_FAIL) {
		char *msg = sp_last_error_message();
		errbuf_set(err, "%s: %s: %s", l->cfg->device, what, msg ? msg : "failed");
		sp_free_error_message(msg);
		return -1;
	}
	const char *why = rc == SP_ERR_ARG ? "invalid argument" :
			  rc == SP_ERR_MEM ? "out of memory" :
			  rc == SP_ERR_SUPP ? "not supported" : "failed";
	return errbuf_set(err, "%s: %s: %s", l->cfg->device, what, why);
}

static int serial_configure(struct link *l, struct errbuf *err)
{
	enum sp_return rc;
	enum sp_flowcontrol flow = l->cfg->flow_control == CFG_FLOW_RTSCTS ?
				   SP_FLOWCONTROL_RTSCTS : SP_FLOWCONTROL_NONE;
	if ((rc = sp_set_baudrate(l->port, l->cfg->baudrate)) != SP_OK)
		return serial_fail(l, "set baudrate", rc, err);
	if ((rc = sp_set_bits(l->port, 8)) != SP_OK)
		return serial_fail(l, "set data bits", rc, err);
	if ((rc = sp_set_parity(l->port, SP_PARITY_NONE)) != SP_OK)
		return serial_fail(l, "set parity", rc, err);
	if ((rc = sp_set_stopbits(l->port, 1)) != SP_OK)
		return serial_fail(l, "set stop bits", rc, err);
	if ((rc = sp_set_flowcontrol(l->port, flow)) != SP_OK)
		return serial_fail(l, "set flow control", rc, err);
	return 0;
}

static int serial_open(struct link *l, struct errbuf *err)
{
	/* libserialport 0.1.1 rejects symlinks such as /dev/serial/by-id/...,
	 * which is how operators name modems stably: resolve first. */
	char real[PATH_MAX];
	if (!realpath(l->cfg->device, real))
		return errbuf_set(err, "%s: %s", l->cfg->device, strerror(errno));
	enum sp_return rc = sp_get_port_by_name(real, &l->port);
	if (rc != SP_OK) {
		l->port = NULL;
		serial_fail(l, "look up port", rc, err);
		if (rc == SP_ERR_ARG)   /* e.g. a pseudo-terminal: libserialport 0.1.1 refuses those */
			errbuf_prefix(err, "%s is not a serial port libserialport can open", real);
		return -1;
	}
	rc = sp_open(l->port, SP_MODE_READ_WRITE);
	if (rc != SP_OK) {
		serial_fail(l, "open", rc, err);
		sp_free_port(l->port);
		l->port = NULL;
		return -1;
	}
	if (serial_configure(l, err) < 0) {
		sp_close(l->port);
		sp_free_port(l->port);
		l->port = NULL;
		return -1;
	}
	return 0;
}

static long serial_read(struct link *l, uint8_t *buf, size_t cap, int timeout_ms, struct errbuf *err)
{
	/* sp_blocking_read_next returns as soon as some bytes are there. A zero
	 * timeout would mean "forever" to libserialport, hence the minimum of 1. */
	enum sp_return rc = sp_blocking_read_next(l->port, buf, cap,
						  (unsigned)(timeout_ms > 0 ? timeout_ms : 1));
	if (rc < 0)
		return serial_fail(l, "read", rc, err);
	return (long)rc;
}

static int serial_write(struct link *l, const uint8_t *buf, size_t n, int timeout_ms, struct errbuf *err)
{
	enum sp_return rc = sp_blocking_write(l->port, buf, n, (unsigned)(timeout_ms > 0 ? timeout_ms : 1));
	if (rc < 0)
		return serial_fail(l, "write", rc, err);
	if ((size_t)rc != n)
		return errbuf_set(err, "%s: write timed out (%d of %zu bytes)", l->cfg->device, (int)rc, n);
	return 0;
}

static void serial_close(struct link *l)
{
	if (!l->port)
		return;
	sp_close(l->port);
	sp_free_port(l->port);
	l->port = NULL;
}

static int serial_poll_fd(const struct link *l)
{
	int fd = -1;
	/* On POSIX systems the handle is the port's file descriptor. */
	if (sp_get_port_handle(l->port, &fd) != SP_OK)
		return -1;
	return fd;
}

const struct link_ops link_serial_ops = {
	.name = "serial",
	.open = serial_open,
	.read = serial_read,
	.write = serial_write,
	.close = serial_close,
	.poll_fd = serial_poll_fd,
};
