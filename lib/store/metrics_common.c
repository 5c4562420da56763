/* metrics_common.c - the /metrics sets both engines hand over alike (see
 * metrics_common.h). */
#include "metrics_common.h"

int metrics_jobs(struct store *s, const struct store_metrics_sink *sink, struct errbuf *err)
{
	int64_t counts[JOB_STATE_COUNT];
	if (s->ops->count_by_state(s, counts, err) < 0)
		return -1;
	sink->begin(sink->arg, STORE_METRIC_JOBS);
	for (int i = 0; i < JOB_STATE_COUNT; i++) {
		struct store_metric_row r = { .state = i, .value = counts[i] };
		sink->row(sink->arg, STORE_METRIC_JOBS, &r);
	}
	return 0;
}

struct modem_walk {
	const struct store_metrics_sink *sink;
	enum store_metric m;
};

static int modem_row(const struct modem_health *h, void *arg)
{
	struct modem_walk *w = arg;
	struct store_metric_row r = { .name = h->name, .modem = h };
	w->sink->row(w->sink->arg, w->m, &r);
	return 0;
}

int metrics_modems(struct store *s, const struct store_metrics_sink *sink, enum store_metric m,
		   struct errbuf *err)
{
	struct modem_walk w = { sink, m };
	sink->begin(sink->arg, m);
	return s->ops->modem_list(s, modem_row, &w, err);
}

void metrics_oldest_due(const struct store_metrics_sink *sink, int64_t now, int64_t due)
{
	struct store_metric_row r = { .value = now > due ? now - due : 0 };
	sink->begin(sink->arg, STORE_METRIC_OLDEST_DUE);
	sink->row(sink->arg, STORE_METRIC_OLDEST_DUE, &r);
}
