/* cli_audit.c - the audit trail from otapctl's side: each command that
 * changes the store records, after its action succeeded, who ran it, when,
 * with which arguments and what it did (store_audit_add). */
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "store_admin.h"
#include "textesc.h"

/* The effective user's name, else "uid N". */
static void audit_user(char *buf, size_t cap)
{
	uid_t uid = geteuid();
	struct passwd *pw = getpwuid(uid);
	if (pw && pw->pw_name && pw->pw_name[0])
		textesc_str(buf, cap, pw->pw_name);
	else
		snprintf(buf, cap, "uid %lu", (unsigned long)uid);
}

/* Appends one argument, quoted when empty or holding a space, escaped.
 * Returns false when it did not fit. */
static bool append_arg(char *buf, size_t cap, size_t *len, const char *arg)
{
	char esc[AUDIT_ARGS_MAX];
	textesc_str(esc, sizeof esc, arg);
	bool quote = !esc[0] || strpbrk(esc, " '\"") != NULL;
	int n = snprintf(buf + *len, cap - *len, "%s%s%s%s", *len ? " " : "", quote ? "'" : "",
			 esc, quote ? "'" : "");
	if (n < 0 || (size_t)n >= cap - *len || strlen(esc) + 1 >= sizeof esc)
		return false;
	*len += (size_t)n;
	return true;
}

/* argv[0..argc) joined by spaces, cut with "..." at the field's size. */
static void audit_args(char *buf, size_t cap, int argc, char **argv)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int i = 0; i < argc; i++) {
		if (!append_arg(buf, cap, &len, argv[i])) {
			size_t keep = len < cap - 4 ? len : cap - 4;
			snprintf(buf + keep, cap - keep, "...");
			return;
		}
	}
}

/* Words of the action's name: "rollout cancel" is 2. */
static int action_words(const char *action)
{
	int n = 1;
	for (const char *c = action; *c; c++)
		n += *c == ' ';
	return n;
}

void cli_audit(struct store *q, const struct cli_ctx *ctx, const char *action, const char *fmt,
	       ...)
{
	int skip = action_words(action);
	int argc = ctx->typed_count > skip ? ctx->typed_count - skip : 0;
	char **argv = argc ? ctx->typed + skip : NULL;
	struct audit_entry e;
	memset(&e, 0, sizeof e);
	e.at = cli_now_ms();
	audit_user(e.user, sizeof e.user);
	snprintf(e.action, sizeof e.action, "%s", action);
	audit_args(e.args, sizeof e.args, argc, argv);
	char result[AUDIT_RESULT_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(result, sizeof result, fmt, ap);
	va_end(ap);
	textesc_str(e.result, sizeof e.result, result);
	struct errbuf err = { { 0 } };
	if (store_audit_add(q, &e, &err) < 0)
		cli_warn("%s done, but not recorded in the audit trail: %s", action, err.msg);
}
