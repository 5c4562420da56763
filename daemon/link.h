/* link.h - a byte stream to one modem, behind a table of transport
 * operations: serial (libserialport) and tcp ("tcp://host:port"). SMPP
 * links ("smpp://...") are not byte streams to a modem: their worker is
 * smpp_worker.c, which uses link_tcp_connect for its sockets. */
#ifndef OTAPD_LINK_H
#define OTAPD_LINK_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "errbuf.h"

struct link;

struct link_ops {
	const char *name;
	/* Opens the transport. Returns 0, or -1 with a reason naming the device. */
	int (*open)(struct link *l, struct errbuf *err);
	/* Waits up to timeout_ms for data. Returns bytes read (> 0), 0 on
	 * timeout, -1 when the link failed or the peer closed it. */
	long (*read)(struct link *l, uint8_t *buf, size_t cap, int timeout_ms, struct errbuf *err);
	/* Writes all n bytes within timeout_ms. Returns 0 or -1. */
	int (*write)(struct link *l, const uint8_t *buf, size_t n, int timeout_ms, struct errbuf *err);
	void (*close)(struct link *l);
	/* The open link's descriptor, readable when data is there: the caller
	 * polls it together with others (the shutdown wake-up). */
	int (*poll_fd)(const struct link *l);
};

struct link {
	const struct link_ops *ops;
	const struct cfg_modem *cfg;    /* device, baudrate, flow control */
	int fd;                         /* tcp socket, -1 when closed */
	struct sp_port *port;           /* serial port, NULL when closed */
};

extern const struct link_ops link_tcp_ops;
extern const struct link_ops link_serial_ops;

/* Opens a non-blocking TCP connection to host:port within 10 s (what names
 * it in a reason). Returns the descriptor (close-on-exec, TCP_NODELAY), or
 * -1 with a reason. Used by the tcp link and by SMPP links. */
int link_tcp_connect(const char *host, const char *port, const char *what, struct errbuf *err);

/* Picks the transport for cfg->device ("tcp://" prefix or a device path).
 * Does not open anything. */
void link_setup(struct link *l, const struct cfg_modem *cfg);

static inline int link_open(struct link *l, struct errbuf *err) { return l->ops->open(l, err); }
static inline long link_read(struct link *l, uint8_t *buf, size_t cap, int timeout_ms,
			     struct errbuf *err) { return l->ops->read(l, buf, cap, timeout_ms, err); }
static inline int link_write(struct link *l, const uint8_t *buf, size_t n, int timeout_ms,
			     struct errbuf *err) { return l->ops->write(l, buf, n, timeout_ms, err); }
static inline void link_close(struct link *l) { l->ops->close(l); }
static inline int link_poll_fd(const struct link *l) { return l->ops->poll_fd(l); }

#endif
