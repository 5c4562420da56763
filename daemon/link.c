/* link.c - choosing a modem transport from the configured device. */
#include "link.h"

#include <string.h>

void link_setup(struct link *l, const struct cfg_modem *cfg)
{
	memset(l, 0, sizeof *l);
	l->cfg = cfg;
	l->fd = -1;
	if (strncmp(cfg->device, "tcp://", 6) == 0)
		l->ops = &link_tcp_ops;
	else
		l->ops = &link_serial_ops;
}
