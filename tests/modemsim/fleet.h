/* fleet.h - the --fleet file: per-number behaviour of the simulated units.
 *
 * Format, one unit per line ('#' starts a comment, blank lines ignored):
 *
 *   MSISDN key=value ...
 *
 * keys: cms=CODE  cds=HH  notify=CODE|none  notify_delay=MS  imei=15DIGITS
 *       password=PWD  product=NAME  download=no|yes|unreachable|jad-only|cut
 * The MSISDN must match the SM's destination exactly as decoded from the
 * PDU ("+49..." for international numbers, plain digits otherwise).
 */
#ifndef MODEMSIM_FLEET_H
#define MODEMSIM_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "errbuf.h"

#define FLEET_MSISDN_MAX 17     /* '+', 15 digits, NUL */
#define FLEET_IMEI_LEN 15
#define FLEET_PRODUCT_MAX 32
#define FLEET_PASSWORD_MAX 64

/* Sentinels for fields a line did not set. */
#define FLEET_UNSET (-2)
#define FLEET_NOTIFY_NONE (-1)

/* What a unit does over HTTP after START:install (key download=). */
enum fleet_download {
	FLEET_DOWNLOAD_NO,              /* only the notify POST, to NOTIFYURL */
	FLEET_DOWNLOAD_YES,             /* JAD, JAR, then the report */
	FLEET_DOWNLOAD_UNREACHABLE,     /* no request, no report ("JAD Server Not Found") */
	FLEET_DOWNLOAD_JAD_ONLY,        /* the JAD, then nothing */
	FLEET_DOWNLOAD_CUT,             /* half the JAR, then the connection drops */
};

struct fleet_unit {
	char msisdn[FLEET_MSISDN_MAX];
	int cms;                        /* FLEET_UNSET or the code for every SM */
	int cds_st;                     /* FLEET_UNSET or TP-ST 0-255 */
	int notify;                     /* FLEET_UNSET, FLEET_NOTIFY_NONE, or a code */
	int64_t notify_delay_ms;        /* FLEET_UNSET or ms */
	char imei[FLEET_IMEI_LEN + 1];  /* "" = not set */
	char product[FLEET_PRODUCT_MAX];/* "" = not set */
	int download;                   /* FLEET_UNSET or an enum fleet_download */
	bool has_password;
	char password[FLEET_PASSWORD_MAX]; /* secret: never logged */
};

struct fleet {
	struct fleet_unit *units;       /* owned; fleet_free releases */
	size_t count;
};

/* Loads path into out (which must be zeroed). Returns 0, or -1 with a
 * reason naming file:line and the bad key (never a password value). */
int fleet_load(const char *path, struct fleet *out, struct errbuf *err);
void fleet_free(struct fleet *fleet);
/* The unit for msisdn, or NULL when the file does not list it. */
const struct fleet_unit *fleet_find(const struct fleet *fleet, const char *msisdn);

#endif
