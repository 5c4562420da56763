/* pg_copy.c - rows for PostgreSQL's COPY FROM STDIN in its text format,
 * and sending them with libpq's copy calls (the fleet import and the
 * import check write many rows: one COPY instead of a statement each). */
#include "pg_shared.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A COPY's data goes in pieces of this size (libpq buffers them). */
#define COPY_PIECE (64u * 1024)

static bool reserve(struct pg_copybuf *b, size_t more)
{
	if (b->oom)
		return false;
	if (b->cap - b->len >= more)
		return true;
	size_t cap = b->cap ? b->cap : 64 * 1024;
	while (cap - b->len < more)
		cap *= 2;
	char *grown = realloc(b->data, cap);
	if (!grown) {
		b->oom = true;
		return false;
	}
	b->data = grown;
	b->cap = cap;
	return true;
}

static void put(struct pg_copybuf *b, const char *bytes, size_t n)
{
	if (reserve(b, n)) {
		memcpy(b->data + b->len, bytes, n);
		b->len += n;
	}
}

/* The tab before every field but a row's first. */
static void field_start(struct pg_copybuf *b)
{
	if (b->row_open)
		put(b, "\t", 1);
	b->row_open = true;
}

void pg_copy_text(struct pg_copybuf *b, const char *text, size_t len)
{
	field_start(b);
	/* At most two bytes per byte: reserved once, then written directly. */
	if (!reserve(b, 2 * len))
		return;
	char *out = b->data + b->len;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		const char *esc = c == '\\' ? "\\\\" : c == '\t' ? "\\t" : c == '\n' ? "\\n" :
				  c == '\r' ? "\\r" : NULL;
		if (esc) {
			*out++ = esc[0];
			*out++ = esc[1];
		} else {
			*out++ = c;
		}
	}
	b->len = (size_t)(out - b->data);
}

void pg_copy_str(struct pg_copybuf *b, const char *text)
{
	if (text)
		pg_copy_text(b, text, strlen(text));
	else
		pg_copy_null(b);
}

void pg_copy_int(struct pg_copybuf *b, int64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof num, "%" PRId64, v);
	field_start(b);
	put(b, num, (size_t)n);
}

void pg_copy_null(struct pg_copybuf *b)
{
	field_start(b);
	put(b, "\\N", 2);
}

void pg_copy_end_row(struct pg_copybuf *b)
{
	put(b, "\n", 1);
	b->row_open = false;
}

void pg_copy_reset(struct pg_copybuf *b)
{
	b->len = 0;
	b->row_open = false;
}

void pg_copy_free(struct pg_copybuf *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

/* The COPY's end: PQputCopyEnd with abort_why (NULL: the data is
 * complete), then every result of the COPY, which must all be read before
 * the connection takes the next statement. Returns the rows copied, or -1
 * (with the server's reason, unless aborting: the caller has one). */
static int64_t finish(struct pg_store *s, const char *abort_why, const char *doing,
		      struct errbuf *err)
{
	if (PQputCopyEnd(s->conn, abort_why) != 1)
		return abort_why ? -1 : pg_fail(s, doing, err);
	int64_t n = -1;
	bool failed = abort_why != NULL;
	PGresult *res;
	while ((res = PQgetResult(s->conn)) != NULL) {
		if (!failed && PQresultStatus(res) == PGRES_COMMAND_OK) {
			n = strtoll(PQcmdTuples(res), NULL, 10);
		} else if (!failed) {
			/* The context names the COPY's line that was refused. */
			const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
			const char *where = PQresultErrorField(res, PG_DIAG_CONTEXT);
			errbuf_set(err, "%s: %s%s%.*s%s", doing,
				   primary ? primary : PQerrorMessage(s->conn), where ? " (" : "",
				   where ? (int)strcspn(where, "\n") : 0, where ? where : "",
				   where ? ")" : "");
			failed = true;
		}
		PQclear(res);
	}
	return failed ? -1 : n;
}

int64_t pg_copy_in(struct pg_store *s, const char *copy_sql, const struct pg_copybuf *b,
		   const char *doing, struct errbuf *err)
{
	if (b->oom)
		return errbuf_set(err, "%s: out of memory", doing);
	PGresult *res = PQexec(s->conn, copy_sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
		errbuf_set(err, "%s: %s", doing, primary ? primary : PQerrorMessage(s->conn));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	for (size_t off = 0; off < b->len; off += COPY_PIECE) {
		size_t n = b->len - off < COPY_PIECE ? b->len - off : COPY_PIECE;
		if (PQputCopyData(s->conn, b->data + off, (int)n) != 1) {
			pg_fail(s, doing, err);
			return finish(s, "the client could not send the data", doing, err);
		}
	}
	return finish(s, NULL, doing, err);
}
