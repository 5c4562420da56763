/* pg_todo.c - the PostgreSQL engine's operations not written yet: each
 * fails with "<operation>: not implemented on postgresql yet", so that the
 * operations table (pg_open.c) is complete and the build green. Whoever
 * writes an operation in its pg_<topic>.c deletes its line here; the table
 * does not change. */
#include "pg_engine.h"

/* The stubs name every parameter of their operation (C11 wants names) and
 * use only err. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#define PG_TODO(op, params) \
	int pg_##op params { return pg_not_implemented(#op, err); }

