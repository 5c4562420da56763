/* http.c - libcurl multi transfers in the simulator's poll loop (see http.h). */
#include "http.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "simlog.h"

/* A unit gives up on a silent server quickly (the tests' servers are
 * local); the whole transfer is bounded like the module's safety timeout,
 * scaled down. */
#define HTTP_CONNECT_TIMEOUT_MS 3000L
#define HTTP_TRANSFER_TIMEOUT_MS 120000L
/* More parallel downloads than a test needs, few enough for poll(). */
#define HTTP_CONNECTIONS_MAX 32L

/* One socket libcurl asked us to watch. */
struct watch {
	curl_socket_t fd;
	short events;
};

struct transfer {
	struct transfer *next;
	CURL *easy;
	struct curl_slist *headers;
	http_done_fn done;
	void *ctx;
	char *to, *method, *url, *ua, *user;
	size_t keep_max;
	int64_t cut_after;
	int64_t bytes;
	char *body;
	size_t body_len;
	bool cut, too_large;
	char errbuf[CURL_ERROR_SIZE];
};

struct http {
	CURLM *multi;
	struct watch *watches;
	size_t nwatches, capwatches;
	int64_t deadline;
	struct transfer *transfers;
};

/* --- libcurl's callbacks ----------------------------------------------- */

static struct watch *find_watch(struct http *h, curl_socket_t fd)
{
	for (size_t i = 0; i < h->nwatches; i++) {
		if (h->watches[i].fd == fd)
			return &h->watches[i];
	}
	return NULL;
}

static int add_watch(struct http *h, curl_socket_t fd, short events)
{
	if (h->nwatches == h->capwatches) {
		size_t cap = h->capwatches ? 2 * h->capwatches : 16;
		struct watch *grown = realloc(h->watches, cap * sizeof *grown);
		if (!grown)
			return -1;
		h->watches = grown;
		h->capwatches = cap;
	}
	h->watches[h->nwatches++] = (struct watch){ .fd = fd, .events = events };
	return 0;
}

/* CURLMOPT_SOCKETFUNCTION: start, change or stop watching fd. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	(void)easy;
	(void)socketp;
	struct http *h = userp;
	struct watch *w = find_watch(h, fd);
	if (what == CURL_POLL_REMOVE) {
		if (w)
			*w = h->watches[--h->nwatches];
		return 0;
	}
	short events = (short)(((what & CURL_POLL_IN) ? POLLIN : 0)
			       | ((what & CURL_POLL_OUT) ? POLLOUT : 0));
	if (w) {
		w->events = events;
		return 0;
	}
	return add_watch(h, fd, events);
}

/* CURLMOPT_TIMERFUNCTION: libcurl wants a call in timeout_ms (-1: never). */
static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	struct http *h = userp;
	h->deadline = timeout_ms < 0 ? INT64_MAX : clock_mono_ms() + timeout_ms;
	return 0;
}

/* CURLOPT_WRITEFUNCTION: counts (and for a JAD keeps) the body; returning
 * less than offered makes libcurl close the connection. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct transfer *t = userp;
	size_t offered = size * nmemb, n = offered;
	if (t->cut_after >= 0 && t->bytes + (int64_t)n > t->cut_after) {
		n = (size_t)(t->cut_after - t->bytes);
		t->cut = true;
	}
	if (t->keep_max > 0) {
		if (t->body_len + n > t->keep_max) {
			t->too_large = true;
			return 0;
		}
		memcpy(t->body + t->body_len, data, n);
		t->body_len += n;
	}
	t->bytes += (int64_t)n;
	return n;
}

/* --- transfers ---------------------------------------------------------- */

static void transfer_free(struct transfer *t)
{
	if (!t)
		return;
	curl_easy_cleanup(t->easy);
	curl_slist_free_all(t->headers);
	free(t->to);
	free(t->method);
	free(t->url);
	free(t->ua);
	free(t->user);
	free(t->body);
	free(t);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Copies what the log and the callback need after rq is gone. */
static struct transfer *transfer_new(const struct http_request *rq)
{
	struct transfer *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->to = strdup(rq->to);
	t->method = strdup(rq->method);
	t->url = strdup(rq->url);
	t->ua = strdup(rq->user_agent);
	t->user = dup_or_null(rq->user);
	t->keep_max = rq->keep_max;
	t->cut_after = rq->cut_after;
	t->body = rq->keep_max ? malloc(rq->keep_max) : NULL;
	t->easy = curl_easy_init();
	if (!t->to || !t->method || !t->url || !t->ua || (rq->user && !t->user)
	    || (rq->keep_max && !t->body) || !t->easy) {
		transfer_free(t);
		return NULL;
	}
	return t;
}

/* The options every unit request shares, then the method's own. */
static int configure(struct transfer *t, const struct http_request *rq)
{
	CURL *e = t->easy;
	int bad = 0;
	bad |= curl_easy_setopt(e, CURLOPT_URL, rq->url) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, rq->user_agent) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, t) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, t) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf) != CURLE_OK;
	/* No SIGALRM for resolver timeouts: the loop owns the signals. */
	bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, HTTP_CONNECT_TIMEOUT_MS) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, HTTP_TRANSFER_TIMEOUT_MS) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
	if (rq->user) {
		bad |= curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC) != CURLE_OK;
		bad |= curl_easy_setopt(e, CURLOPT_USERNAME, rq->user) != CURLE_OK;
		bad |= curl_easy_setopt(e, CURLOPT_PASSWORD, rq->password ? rq->password : "") != CURLE_OK;
	}
	if (strcmp(rq->method, "POST") == 0) {
		t->headers = curl_slist_append(NULL, "Content-Type: text/plain");
		bad |= !t->headers;
		bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers) != CURLE_OK;
		bad |= curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, rq->post_body ? rq->post_body : "") != CURLE_OK;
	}
	return bad ? -1 : 0;
}

/* One HTTP event for a finished (or unstartable) request. */
static void log_request(const char *to, const char *method, const char *url, const char *ua,
			const char *user, long status, int64_t bytes, const char *error)
{
	char eurl[2048], eua[256], euser[256] = "", eerr[512] = "";
	simlog_escape((const uint8_t *)url, strlen(url), eurl, sizeof eurl);
	simlog_escape((const uint8_t *)ua, strlen(ua), eua, sizeof eua);
	if (user) {
		strcpy(euser, "\tuser=");
		simlog_escape((const uint8_t *)user, strlen(user), euser + 6, sizeof euser - 6);
	}
	if (error) {
		strcpy(eerr, "\terror=");
		simlog_escape((const uint8_t *)error, strlen(error), eerr + 7, sizeof eerr - 7);
	}
	simlog_event("HTTP\tto=%s\tmethod=%s\turl=%s\tstatus=%ld\tbytes=%lld\tua=%s%s%s", to, method,
		     eurl, status, (long long)bytes, eua, euser, eerr);
}

int http_start(struct http *h, const struct http_request *rq, http_done_fn done, void *ctx)
{
	struct transfer *t = transfer_new(rq);
	const char *why = !t ? "out of memory" : NULL;
	if (t && configure(t, rq) < 0)
		why = "libcurl refused an option";
	else if (t && curl_multi_add_handle(h->multi, t->easy) != CURLM_OK)
		why = "libcurl refused the transfer";
	if (why) {
		log_request(rq->to, rq->method, rq->url, rq->user_agent, rq->user, 0, 0, why);
		transfer_free(t);
		return -1;
	}
	t->done = done;
	t->ctx = ctx;
	t->next = h->transfers;
	h->transfers = t;
	return 0;
}

static void unlink_transfer(struct http *h, struct transfer *t)
{
	for (struct transfer **p = &h->transfers; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			return;
		}
	}
}

/* The reason a finished transfer failed, or NULL. */
static const char *failure(const struct transfer *t, CURLcode rc)
{
	if (t->cut)
		return "cut by the unit";
	if (t->too_large)
		return "body too large";
	if (rc == CURLE_OK)
		return NULL;
	return t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);
}

/* Logs, reports and frees one transfer libcurl has finished. */
static void complete(struct http *h, CURL *easy, CURLcode rc)
{
	char *priv = NULL;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
	struct transfer *t = (struct transfer *)priv;
	long status = 0;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(h->multi, easy);
	unlink_transfer(h, t);
	struct http_result res = {
		.status = status, .bytes = t->bytes, .error = failure(t, rc),
		.cut = t->cut, .body = t->body, .body_len = t->body_len,
	};
	log_request(t->to, t->method, t->url, t->ua, t->user, status, t->bytes, res.error);
	t->done(t->ctx, &res);
	transfer_free(t);
}

static void collect_finished(struct http *h)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(h->multi, &left))) {
		if (msg->msg == CURLMSG_DONE)
			complete(h, msg->easy_handle, msg->data.result);
	}
}

/* --- the loop's side ---------------------------------------------------- */

struct http *http_new(void)
{
	struct http *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->deadline = INT64_MAX;
	h->multi = curl_multi_init();
	if (!h->multi) {
		free(h);
		return NULL;
	}
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, HTTP_CONNECTIONS_MAX);
	return h;
}

void http_free(struct http *h)
{
	if (!h)
		return;
	while (h->transfers) {
		struct transfer *t = h->transfers;
		h->transfers = t->next;
		curl_multi_remove_handle(h->multi, t->easy);
		transfer_free(t);
	}
	curl_multi_cleanup(h->multi);
	free(h->watches);
	free(h);
}

size_t http_pollfds(const struct http *h, struct pollfd *out, size_t max)
{
	size_t n = h->nwatches < max ? h->nwatches : max;
	for (size_t i = 0; i < n; i++)
		out[i] = (struct pollfd){ .fd = h->watches[i].fd, .events = h->watches[i].events };
	return n;
}

int64_t http_deadline(const struct http *h)
{
	return h->deadline;
}

static int cselect_mask(short revents)
{
	int mask = 0;
	if (revents & (POLLIN | POLLHUP))
		mask |= CURL_CSELECT_IN;
	if (revents & POLLOUT)
		mask |= CURL_CSELECT_OUT;
	if (revents & (POLLERR | POLLNVAL))
		mask |= CURL_CSELECT_ERR;
	return mask;
}

void http_service(struct http *h, const struct pollfd *fds, size_t n, int64_t now)
{
	int running;
	for (size_t i = 0; i < n; i++) {
		if (fds[i].revents)
			curl_multi_socket_action(h->multi, fds[i].fd, cselect_mask(fds[i].revents), &running);
	}
	if (h->deadline <= now) {
		/* Cleared first: the call may set a new timer. */
		h->deadline = INT64_MAX;
		curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	collect_finished(h);
}
