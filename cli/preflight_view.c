/* preflight_view.c - how a preflight looks: one line per check with its
 * mark, or the JSON object of `otapctl preflight --json`. */
#include <stdio.h>

#include "json.h"
#include "preflight.h"
#include "textesc.h"

/* ✓ passed, ✗ a problem, ! passed with a warning. */
static const char *mark(const struct preflight_check *c)
{
	if (!c->ok)
		return "\u2717";
	return c->warning ? "!" : "\u2713";
}

void preflight_print_text(FILE *f, const struct preflight_report *r)
{
	size_t problems = 0, warnings = 0;
	/* Details carry text from the server (curl's messages, JAD values):
	 * control bytes are shown escaped, never sent to the terminal. */
	char shown[sizeof r->checks[0].detail * 4];
	for (size_t i = 0; i < r->count; i++) {
		const struct preflight_check *c = &r->checks[i];
		textesc_str(shown, sizeof shown, c->detail);
		fprintf(f, "%s %-16s %s\n", mark(c), c->name, shown);
		problems += !c->ok;
		warnings += c->ok && c->warning;
	}
	if (problems)
		fprintf(f, "preflight of profile %s: %zu problem%s found; fix %s, then run otapctl "
			"preflight --profile %s again\n", r->profile, problems, problems == 1 ? "" : "s",
			problems == 1 ? "it" : "them", r->profile);
	else
		fprintf(f, "preflight of profile %s: passed (%zu check%s, %zu warning%s)\n",
			r->profile, r->count, r->count == 1 ? "" : "s", warnings,
			warnings == 1 ? "" : "s");
}

int preflight_print_json(FILE *f, const struct preflight_report *r)
{
	struct json_writer w;
	json_init(&w, f);
	json_begin_object(&w);
	json_member_string(&w, "profile", r->profile);
	json_key(&w, "ok");
	json_bool(&w, r->ok);
	json_key(&w, "checks");
	json_begin_array(&w);
	for (size_t i = 0; i < r->count; i++) {
		const struct preflight_check *c = &r->checks[i];
		json_begin_object(&w);
		json_member_string(&w, "name", c->name);
		json_key(&w, "ok");
		json_bool(&w, c->ok);
		json_key(&w, "warning");
		json_bool(&w, c->warning);
		json_member_string(&w, "detail", c->detail);
		json_end_object(&w);
	}
	json_end_array(&w);
	json_end_object(&w);
	fputc('\n', f);
	return json_finish(&w) < 0 || ferror(f) ? -1 : 0;
}
