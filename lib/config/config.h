/* config.h - loading and validating otapd.conf (libconfig syntax).
 *
 * The config is pure data: no runtime state lives here. Every error names the
 * file and line and what was expected; unknown keys are errors so a typo can
 * never silently drop a parameter. Secrets are never copied into reasons.
 */
#ifndef OTAP_CONFIG_H
#define OTAP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "errbuf.h"
#include "otap.h"

/* The install's config directory, from CMake (GNUInstallDirs' sysconfdir
 * plus /otapd), so that an installed otapd finds the installed config. */
#ifndef OTAP_CONFIG_DIR
#define OTAP_CONFIG_DIR "/etc/otapd"
#endif
#define CFG_DEFAULT_PATH OTAP_CONFIG_DIR "/otapd.conf"

enum cfg_flow_control { CFG_FLOW_NONE, CFG_FLOW_RTSCTS };

/* How an SMPP link binds: one transceiver bind, or a transmitter and a
 * receiver bind side by side (two connections). */
enum cfg_smpp_bind { CFG_SMPP_TRANSCEIVER, CFG_SMPP_TRANSMITTER_RECEIVER };

#define CFG_SMPP_WINDOW_DEFAULT 10
#define CFG_SMPP_WINDOW_MAX 256         /* = SMPP_WINDOW_MAX (lib/smpp) */

/* The account of an SMPP link (device "smpp://SYSTEM_ID@HOST:PORT"). */
struct cfg_smpp {
	char *system_id;        /* from the device */
	char *host;
	int port;
	char *password;         /* secret: at most 8 characters (SMPP 3.4) */
	char *password_file;    /* where password came from, NULL when inline */
	char *system_type;      /* NULL = "" */
	char *source_addr;      /* NULL = "" (the SMSC fills it in) */
	int source_ton;         /* 0..6, default 0 (5 alphanumeric, 1 international) */
	int source_npi;         /* 0..18, default 0 */
	int window;             /* outstanding submits, 1..256, default 10 */
	int64_t enquire_link_ms;/* default 30s */
	enum cfg_smpp_bind bind;
};

struct cfg_modem {
	char *name;
	char *device;           /* "/dev/ttyUSB0", "tcp://host:port" or
				 * "smpp://system_id@host:port" */
	int baudrate;           /* default 115200 */
	enum cfg_flow_control flow_control;
	char *pin;              /* secret; NULL = none configured */
	char *smsc;             /* NULL = SIM's SMSC */
	int64_t send_timeout_ms;/* default 60s */
	int max_rate;           /* SMS per minute, 0 = unlimited (SMPP links too) */
	int max_failures;       /* modem-blamed failures in a row before it is disabled (5) */
	bool is_smpp;           /* device is smpp://: smpp holds the account */
	struct cfg_smpp smpp;
};

struct cfg_retry {
	int max_attempts;       /* default 5 */
	int64_t backoff_initial_ms; /* default 30s */
	int64_t backoff_max_ms; /* default 1h */
};

struct cfg_notify {
	char *listen;           /* "0.0.0.0:8080"; NULL = no listener */
	char *public_url;       /* "http://host:8080" */
	char *tls_cert;         /* path of the PEM certificate (chain); NULL = plain HTTP */
	char *tls_key;          /* path of the PEM private key; set with tls_cert */
	char *tls_cert_pem;     /* the certificate file's content, read at load */
	char *tls_key_pem;      /* the key file's content (a secret: wiped on free) */
};

/* The operators' listener (admin = {...}): /metrics, the JSON API, the
 * web status page. */
#define CFG_ADMIN_DEFAULT_LISTEN "127.0.0.1:8090"
#define CFG_ADMIN_TOKEN_MIN 16  /* bytes of an access token at least */
struct cfg_admin {
	char *listen;           /* "127.0.0.1:8090"; NULL = no admin listener */
	char *token_file;       /* path of the access token's file; NULL = open */
	char *token;            /* its content (a secret: wiped on free); NULL = open */
};

/* Event hooks: shell commands run on an event (daemon/hooks.h). */
struct cfg_hooks {
	char *on_rollout_paused;/* NULL = none */
	char *on_job_failed;    /* NULL = none */
	int timeout_s;          /* 1..300, default 10 */
};

struct cfg {
	char *path;             /* file it was loaded from */
	char *database;         /* SQLite file path or postgresql://USER@HOST:PORT/DBNAME */
	char *database_password;        /* secret, from database_password_file; NULL = none */
	char *database_password_file;   /* as resolved; NULL = none */
	char *instance;         /* name among instances sharing a PostgreSQL queue; NULL */
	struct otap_profile *profiles;
	size_t profile_count;
	struct cfg_modem *modems;
	size_t modem_count;
	struct cfg_retry retry;
	int64_t split_delay_ms; /* default 5s: pause before the part carrying START */
	struct cfg_notify notify;
	struct cfg_admin admin;
	struct cfg_hooks hooks;
	char *log_level;        /* "debug"|"info"|"warn"|"error"; NULL = not set */
};

/* Returns the config path to use: explicit (if not NULL), else $OTAPD_CONFIG,
 * else CFG_DEFAULT_PATH. */
const char *cfg_resolve_path(const char *explicit_path);

/* Loads and validates path into *out (zeroed first). Returns 0, or -1 with
 * "FILE:LINE: what is wrong (expected ...)" in err (the first problem of
 * the file, with how many more there are: cfg_load_all lists them); *out
 * is then empty.
 * Password files (password_file) are read here; their content becomes
 * profile->password with one trailing newline stripped. A relative
 * password_file is taken from the config file's directory. The same holds
 * for notify.tls_cert and notify.tls_key (PEM, regular files, size-capped),
 * whose contents land in tls_cert_pem/tls_key_pem. */
int cfg_load(const char *path, struct cfg *out, struct errbuf *err);

/* Every problem one load found, in the order of the file's lines. */
#define CFG_PROBLEMS_MAX 50
struct cfg_problems {
	size_t count;                   /* found; more than CFG_PROBLEMS_MAX are only counted */
	unsigned line[CFG_PROBLEMS_MAX];        /* 0: not tied to a line */
	char msg[CFG_PROBLEMS_MAX][ERRBUF_MAX]; /* "FILE:LINE: what is wrong (expected ...)" */
};

/* cfg_load, listing every problem instead of the first: each setting is
 * checked, and a wrong one does not stop the check of the others (a
 * check that needs another setting's value is left out while that one is
 * wrong). A file that cannot be read or parsed (libconfig stops at the
 * first syntax error) is one problem. Returns 0, or -1 with
 * problems->count >= 1 (*out empty). */
int cfg_load_all(const char *path, struct cfg *out, struct cfg_problems *problems);

/* The problems with a message: count, at most CFG_PROBLEMS_MAX. */
size_t cfg_problems_listed(const struct cfg_problems *p);

/* Frees everything cfg_load allocated (secrets are wiped first). Safe on a
 * zeroed struct. */
void cfg_free(struct cfg *cfg);

/* Returns the profile called name, or NULL. */
const struct otap_profile *cfg_profile(const struct cfg *cfg, const char *name);

/* Returns the modem called name, or NULL. */
const struct cfg_modem *cfg_modem(const struct cfg *cfg, const char *name);

/* Fills *out with p as its longest job message would carry it: the
 * per-job NOTIFYURL and (local artifacts) JADURL with the largest job id,
 * for checking that a job's message will fit before it is queued. */
void cfg_worst_job_profile(const struct cfg *cfg, const struct otap_profile *p,
			   struct otap_job_profile *out);

/* Writes the configured profile names as "a, b, c" ("none" when there are
 * none; names are not secret) for unknown-profile messages. */
void cfg_profile_names(const struct cfg *cfg, char *buf, size_t size);

/* Writes the normalised config (defaults filled in, secrets shown as
 * "(set)") to f, for otapd --check-config. */
void cfg_dump(const struct cfg *cfg, FILE *f);

#endif
