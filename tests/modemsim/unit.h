/* unit.h - the simulated units: what a Cinterion module does with the OTAP
 * control SMs it receives (spec §1-2), and each number's behaviour from the
 * fleet file merged with the command-line defaults. */
#ifndef MODEMSIM_UNIT_H
#define MODEMSIM_UNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "download.h"
#include "fleet.h"
#include "notify.h"
#include "options.h"
#include "pdu.h"

/* A number's behaviour after applying defaults. */
struct unit_profile {
	int cms;                        /* -1 = accept SMs */
	uint8_t cds_st;                 /* TP-ST for status reports */
	int notify;                     /* -1 = no POST, else the code */
	enum fleet_download download;   /* FLEET_DOWNLOAD_NO = no JAD/JAR */
	int64_t notify_delay_ms;
	char imei[FLEET_IMEI_LEN + 1];
	char product[FLEET_PRODUCT_MAX];
	const char *password;           /* NULL = the unit accepts any PWD (secret) */
};

struct units;

/* Creates the unit registry; opt, fleet, notifier and downloads are
 * borrowed and must outlive it. Returns NULL when out of memory. */
struct units *units_new(const struct sim_options *opt, const struct fleet *fleet,
			struct notifier *notifier, struct downloads *downloads);
void units_free(struct units *units);

/* Fills *out with the behaviour of msisdn (fleet entry + defaults). */
void units_profile(const struct units *units, const char *msisdn, struct unit_profile *out);

/* Hands an accepted SMS-SUBMIT to its destination unit: accumulates OTAP
 * parameters, checks PWD, and on START logs OTAP and then either starts
 * the download (START:install by a downloading unit, see download.h) or
 * the notify POST to NOTIFYURL. Non-OTAP messages are ignored. */
void units_deliver(struct units *units, const struct pdu_decoded *sm);

/* Writes the IMEI a unit without imei= reports: "35", the last 12 digits of
 * its number (zero-padded) and the Luhn check digit. out holds 16 bytes. */
void unit_default_imei(const char *msisdn, char *out);

#endif
