/* testutil_store.h - the store's tests against either engine (header only,
 * after <cmocka.h>). ctest registers such a test twice: as is (SQLite, a
 * file in the test's temp dir) and as <name>_pg with
 * OTAP_TEST_ENGINE=postgresql, where each store is a fresh schema of the
 * throw-away cluster of tests/pg_cluster.sh (its URL in the file named by
 * OTAP_TEST_PG_FILE, the password in PGPASSFILE). */
#ifndef OTAP_TESTUTIL_STORE_H
#define OTAP_TESTUTIL_STORE_H

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pg_engine.h"
#include "sqlite_engine.h"

#define TEST_SKIP 77    /* ctest's SKIP_RETURN_CODE */

static inline bool test_engine_pg(void)
{
	const char *e = getenv("OTAP_TEST_ENGINE");
	return e && strcmp(e, "postgresql") == 0;
}

/* The test cluster's URL into out, or false when there is none. */
static inline bool test_pg_url(char *out, size_t cap)
{
	const char *file = getenv("OTAP_TEST_PG_FILE");
	FILE *f = file ? fopen(file, "r") : NULL;
	bool ok = f && fgets(out, (int)cap, f) != NULL;
	if (f)
		fclose(f);
	if (ok)
		out[strcspn(out, "\n")] = '\0';
	return ok && out[0];
}

/* For main(): under OTAP_TEST_ENGINE=postgresql without a cluster, says
 * why and returns true (the test then exits TEST_SKIP). */
static inline bool test_engine_missing(void)
{
	char url[512];
	if (!test_engine_pg() || test_pg_url(url, sizeof url))
		return false;
	printf("SKIP: no PostgreSQL test cluster (tests/pg_cluster.sh found no "
	       "PostgreSQL: apt-get install postgresql)\n");
	return true;
}

/* Runs sql on the test cluster's database; fails the test on error. */
static inline void test_pg_exec(const char *sql)
{
	char url[512];
	assert_true(test_pg_url(url, sizeof url));
	PGconn *c = PQconnectdb(url);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("test cluster: %s", PQerrorMessage(c));
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("test cluster: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

/* The location of a fresh, empty store: dir/file for SQLite; for
 * PostgreSQL a new schema (named after the process and a counter) that
 * the location's search_path selects. */
static inline void test_store_location(char *out, size_t cap, const char *dir, const char *file)
{
	if (!test_engine_pg()) {
		snprintf(out, cap, "%s/%s", dir, file);
		return;
	}
	static int counter;
	char url[512], schema[64], sql[128];
	assert_true(test_pg_url(url, sizeof url));
	snprintf(schema, sizeof schema, "t_%ld_%d", (long)getpid(), ++counter);
	snprintf(sql, sizeof sql, "CREATE SCHEMA %s", schema);
	test_pg_exec(sql);
	snprintf(out, cap, "%s?options=-csearch_path%%3D%s", url, schema);
}

/* Drops what test_store_location made (PostgreSQL: the schema; the
 * caller removes its temp dir). */
static inline void test_store_drop(const char *location)
{
	const char *at = strstr(location, "search_path%3D");
	if (!test_engine_pg() || !at)
		return;
	char sql[128];
	snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE", at + strlen("search_path%3D"));
	test_pg_exec(sql);
}

/* Runs sql (no parameters; SQL both engines read) on the store's own
 * connection. Returns 0, or -1 when the database refused it. */
static inline int test_sql_exec(struct store *q, const char *sql)
{
	if (store_sqlite_db(q))
		return sqlite3_exec(store_sqlite_db(q), sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
	PGresult *r = PQexec(store_pg_conn(q), sql);
	int rc = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK
			 ? 0 : -1;
	PQclear(r);
	return rc;
}

/* The first column of the first row of sql, as an integer; fails the test
 * when there is no row. */
static inline int64_t test_sql_int(struct store *q, const char *sql)
{
	if (store_sqlite_db(q)) {
		sqlite3_stmt *st;
		assert_int_equal(sqlite3_prepare_v2(store_sqlite_db(q), sql, -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		int64_t v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		return v;
	}
	PGresult *r = PQexec(store_pg_conn(q), sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1)
		fail_msg("%s: %s", sql, PQerrorMessage(store_pg_conn(q)));
	/* A boolean comes as t/f (SQLite gives 1/0). */
	const char *text = PQgetvalue(r, 0, 0);
	int64_t v = strcmp(text, "t") == 0 ? 1 : strtoll(text, NULL, 10);
	PQclear(r);
	return v;
}

/* test_sql_int of sql with every ?1 replaced by id (written into the
 * text: SQL both engines read, whatever their parameter syntax). */
static inline int64_t test_sql_int_id(struct store *q, const char *sql, int64_t id)
{
	char text[1024];
	size_t n = 0;
	for (const char *p = sql; *p && n + 24 < sizeof text; p++) {
		if (p[0] == '?' && p[1] == '1') {
			n += (size_t)snprintf(text + n, sizeof text - n, "%lld", (long long)id);
			p++;
		} else {
			text[n++] = *p;
		}
	}
	text[n] = '\0';
	return test_sql_int(q, text);
}

/* Whether the store's connection is inside a transaction. */
static inline bool test_in_transaction(struct store *q)
{
	if (store_sqlite_db(q))
		return !sqlite3_get_autocommit(store_sqlite_db(q));
	return PQtransactionStatus(store_pg_conn(q)) != PQTRANS_IDLE;
}

/* Skips the current test under PostgreSQL (it is about SQLite's files,
 * pragmas or locks), saying so in the output. */
#define TEST_SQLITE_ONLY() do { \
	if (test_engine_pg()) { \
		print_message("SQLite-only test skipped under PostgreSQL\n"); \
		skip(); \
	} \
} while (0)

#endif
