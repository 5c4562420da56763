/* cds.h - SMS-STATUS-REPORT PDUs for the simulated +CDS URC
 * (3GPP TS 23.040 §9.2.2.3). */
#ifndef MODEMSIM_CDS_H
#define MODEMSIM_CDS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Room for SMSC "00" + the longest status report, as hex, with NUL. */
#define CDS_HEX_MAX (2 * (1 + 3 + 12 + 7 + 7 + 1) + 1)

/* Writes the hex of a status report for a message to `to` ("+49..." or
 * national digits) with reference mr and status st, timestamps from `when`
 * (UTC): SMSC field "00", first octet 0x06, TP-MR, TP-RA, TP-SCTS, TP-DT,
 * TP-ST. hex must hold CDS_HEX_MAX bytes. Returns the TPDU length (the
 * number in "+CDS: <len>"), or -1 when `to` has no digits or too many. */
int cds_build(const char *to, uint8_t mr, uint8_t st, time_t when, char *hex);

#endif
