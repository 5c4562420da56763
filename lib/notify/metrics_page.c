/* metrics_page.c - store rows → Prometheus families for /metrics (see
 * metrics_page.h). */
#include "metrics_page.h"

#include <stdio.h>

#include "modem_health.h"
#include "store_metrics.h"

struct page {
	struct metrics_text *t;
	int64_t now;
};

struct family {
	const char *name;
	const char *type;
	const char *help;
};

/* Indexed by enum store_metric. */
static const struct family families[STORE_METRIC_COUNT] = {
	[STORE_METRIC_JOBS] = { "otapd_jobs", "gauge", "Jobs in the store by state." },
	[STORE_METRIC_ROLLOUT_JOBS] = { "otapd_rollout_jobs", "gauge",
					"Jobs of each rollout by state." },
	[STORE_METRIC_SMS_SENT] = { "otapd_sms_sent_total", "counter",
				    "SMs the modem took (+CMGS) since otapd started." },
	[STORE_METRIC_SMS_ERRORS] = { "otapd_sms_errors_total", "counter",
				      "Attempts that ended with a +CMS ERROR, by modem and code." },
	[STORE_METRIC_MODEM_UP] = { "otapd_modem_up", "gauge",
				    "1 when the modem is ready or sending (fresh row), else 0." },
	[STORE_METRIC_MODEM_SIGNAL] = { "otapd_modem_signal_dbm", "gauge",
					"Signal strength from +CSQ in dBm (absent when unknown)." },
	[STORE_METRIC_NOTIFICATIONS] = { "otapd_notifications_total", "counter",
					 "Install notifications received, by status code." },
	[STORE_METRIC_OLDEST_DUE] = { "otapd_oldest_due_job_age_seconds", "gauge",
				      "Seconds since the oldest due queued job became due (0 none)." },
};

static void on_begin(void *arg, enum store_metric m)
{
	struct page *p = arg;
	metrics_text_family(p->t, families[m].name, families[m].type, families[m].help);
}

static void sample1(struct page *p, enum store_metric m, const char *label, const char *value,
		    int64_t v)
{
	struct metrics_label l = { label, value };
	metrics_text_sample(p->t, families[m].name, &l, 1, v);
}

static void modem_sample(struct page *p, enum store_metric m, const struct modem_health *h)
{
	if (m == STORE_METRIC_SMS_SENT)
		sample1(p, m, "modem", h->name, h->sms_sent);
	else if (m == STORE_METRIC_MODEM_UP)
		sample1(p, m, "modem", h->name, modem_health_usable(h, p->now) ? 1 : 0);
	else if (modem_signal_known(h->rssi))
		sample1(p, m, "modem", h->name, modem_signal_dbm(h->rssi));
}

static void on_row(void *arg, enum store_metric m, const struct store_metric_row *r)
{
	struct page *p = arg;
	const char *name = families[m].name;
	char code[16];
	snprintf(code, sizeof code, "%d", r->code);
	if (m == STORE_METRIC_JOBS) {
		sample1(p, m, "state", job_state_name((enum job_state)r->state), r->value);
	} else if (m == STORE_METRIC_ROLLOUT_JOBS) {
		struct metrics_label l[2] = { { "rollout", r->name },
					      { "state", job_state_name((enum job_state)r->state) } };
		metrics_text_sample(p->t, name, l, 2, r->value);
	} else if (m == STORE_METRIC_SMS_ERRORS) {
		struct metrics_label l[2] = { { "modem", r->name }, { "code", code } };
		metrics_text_sample(p->t, name, l, 2, r->value);
	} else if (m == STORE_METRIC_NOTIFICATIONS) {
		sample1(p, m, "result", r->code < 0 ? "none" : code, r->value);
	} else if (m == STORE_METRIC_OLDEST_DUE) {
		metrics_text_sample(p->t, name, NULL, 0, r->value / 1000);
	} else if (r->modem) {
		modem_sample(p, m, r->modem);
	}
}

int metrics_page(struct store *s, int64_t now, struct metrics_text *out, struct errbuf *err)
{
	struct page p = { out, now };
	struct store_metrics_sink sink = { on_begin, on_row, &p };
	if (store_metrics_read(s, now, &sink, err) < 0)
		return -1;
	if (out->failed)
		return errbuf_set(err, "out of memory writing the metrics");
	return 0;
}
