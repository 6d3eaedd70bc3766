/* cli.h - command-line options and YAML job configs as one key -> value table.
 *
 * Every gnnrec command reads its settings through this table, so a YAML key
 * and a `--key value` option are the same thing and the command line wins
 * (SPEC.md). Each value remembers where it came from, so a bad value is
 * reported as `--epochs: ...` or `configs/x.yaml:7: epochs: ...`, and whether
 * a getter read it, so unknown or unused keys can be reported.
 *
 * Keys are normalised: no leading "--", '-' -> '_'; so `--batch-size`,
 * `--batch_size` and the YAML key `batch-size:`/`batch_size:` are one key
 * "batch_size". Nested YAML mappings are flattened to "parent.child" (also
 * settable as `--parent.child v`). A YAML list becomes a comma-separated
 * string, the same as `--edges interaction,social` on the command line.
 *
 * The one rename: the top-level YAML key `model:` (the architecture,
 * lightgcn/mf/gcn/...) is stored under "arch", because on the command line
 * `--model NAME` is the saved model's name and `--arch` picks the
 * architecture. So read the architecture with key "arch" and the saved
 * model's name with key "model"; the latter can only come from argv.
 *
 * Precedence: the command line beats any YAML file, whatever the call order;
 * between two YAML files the first loaded wins. The same option twice on the
 * command line: the last one wins (so scripts can append overrides). The same
 * key twice in one YAML file is an error.
 *
 * A YAML null (`key:`, `key: ~`, `key: null`) counts as not set: getters
 * return their default and cli_has() says 0.
 *
 * YAML syntax (libyaml, limits, list joining, FILE:LINE messages) is io/config.h's;
 * this module adds what keys mean: normalisation, the rename, precedence and
 * duplicate keys.
 *
 * Errors: all functions return 0 or an err_code and fill err_t; nothing is
 * printed. Bad options or bad values (from argv or a config) are ERR_USAGE;
 * a malformed YAML file is ERR_INPUT; an unreadable file is ERR_IO.
 * Assumes the "C" numeric locale (strtod) and tens of keys read by getters
 * (lookups are linear; loading a file checks duplicates through a hash map,
 * so a huge file is refused in linear time).
 *
 * Typical command:
 *
 *   static const cli_flag_t flags[] = { "resume", "help", NULL };
 *   static const char *const known[] = { "store", "config", "model", "arch",
 *                                        "epochs", "resume", "help", NULL };
 *   cli_opts_t o; err_t e = {0}; const char *cfg; uint32_t epochs;
 *   cli_opts_init(&o);
 *   if (cli_parse_argv(&o, argc, argv, flags, &e)
 *       || cli_get_str(&o, "config", NULL, &cfg, &e)
 *       || (cfg && cli_load_yaml(&o, cfg, &e))
 *       || cli_check_unknown(&o, known, &e)
 *       || cli_get_u32(&o, "epochs", 1000, 1, 100000, &epochs, &e)) ...
 *   cli_opts_destroy(&o);
 */
#ifndef GNNREC_TOOLS_CLI_H
#define GNNREC_TOOLS_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* A boolean option name ("append", "include-seen", ...); lists of them are
 * NULL-terminated. */
typedef const char *cli_flag_t;

typedef struct cli_entry {
    char *key;        /* normalised key */
    char *name;       /* as written, for messages: "--batch-size", "opt.lr", "model" */
    char *val;        /* NULL for a YAML null (= not set) */
    const char *file; /* YAML path (owned by the table), NULL for the command line */
    long line;        /* YAML line (1-based), or the argv index */
    int load;         /* 0 = command line, k = k-th cli_load_yaml() */
    int used;         /* read by a getter (or shadowed by the command line) */
} cli_entry_t;

typedef struct cli_opts {
    cli_entry_t *v;   /* in insertion order; may hold YAML entries shadowed by argv */
    size_t n, cap;
    char **files;     /* YAML paths loaded, owned */
    size_t nfiles;
} cli_opts_t;

void cli_opts_init(cli_opts_t *o);
void cli_opts_destroy(cli_opts_t *o);

/* Parse argv[1..argc-1] (argv[0] is the program or subcommand name and is
 * skipped): `--key value`, `--key=value`, and for a key in `flags` (may be
 * NULL) a bare `--key` meaning "true" (`--key=false` turns it off; a flag
 * never takes the next argument). `-h` is `--help`. A value option without
 * its value, a stray positional argument, or `--` -> ERR_USAGE. A value may
 * start with a single '-' (`--min-rating -1`) but not with "--". */
int cli_parse_argv(cli_opts_t *o, int argc, char **argv, const cli_flag_t *flags,
                   err_t *e);

/* Read a YAML mapping into the table without overwriting keys set on the
 * command line (or by an earlier file). Scalars are stored as written; a
 * list of scalars (flow `[a, b]` or block `- a`) as "a,b"; nested mappings
 * as "parent.child"; top-level `model:` as "arch". An empty file is an empty
 * config. Missing/unreadable file -> ERR_IO; malformed YAML, a top level that
 * is not a mapping, a binary file, aliases, lists of lists/mappings, a list
 * item with a comma, duplicate keys -> ERR_INPUT "FILE:LINE: ...". */
int cli_load_yaml(cli_opts_t *o, const char *path, err_t *e);

/* 1 if key (normalised here) has a value, 0 if absent or a YAML null.
 * Does not mark the key as read. */
int cli_has(const cli_opts_t *o, const char *key);

/* Getters: if the key is absent (or null), *out = def and 0 is returned;
 * otherwise the value is validated and the key marked as read. Ranges are
 * inclusive. On a bad value *out is left alone and ERR_USAGE names the
 * source: `--epochs: expected an integer in [1, 100000], got "ten"`. */

/* *out points into the table (valid until cli_opts_destroy) or is def. */
int cli_get_str(cli_opts_t *o, const char *key, const char *def,
                const char **out, err_t *e);
/* A path the command will write to. From the command line it is used as
 * given; from a YAML config it must be relative and free of "..", is taken
 * relative to the config file's directory, and must really stay below that
 * directory once symlinks are resolved (the file if it exists, else its
 * parent directory; a dangling symlink is refused), so a config handed over
 * by someone else cannot make a job write anywhere else (ERR_USAGE). The
 * check runs when the path is read; a symlink planted between the check
 * and the open is not defended against. */
int cli_get_output_path(cli_opts_t *o, const char *key, const char *def,
                        const char **out, err_t *e);
/* The same rule for a required output (`out:`), absent -> ERR_USAGE
 * "missing --key"; a config's "-" (standard output) is kept as "-". */
int cli_need_output_path(cli_opts_t *o, const char *key, const char **out, err_t *e);
/* Like cli_get_str, but absent -> ERR_USAGE "missing --key (see --help)". */
int cli_need_str(cli_opts_t *o, const char *key, const char **out, err_t *e);
/* Decimal digits only: no sign, no spaces, no hex, no exponent. */
int cli_get_u32(cli_opts_t *o, const char *key, uint32_t def, uint32_t min,
                uint32_t max, uint32_t *out, err_t *e);
int cli_get_u64(cli_opts_t *o, const char *key, uint64_t def, uint64_t min,
                uint64_t max, uint64_t *out, err_t *e);
/* A finite decimal number that fits a float (no NaN, Inf, overflow, or
 * nonzero underflow to 0). Pass min = FLT_MIN for "positive". */
int cli_get_float(cli_opts_t *o, const char *key, float def, double min,
                  double max, float *out, err_t *e);
/* true/false, yes/no, on/off, 1/0, any case. */
int cli_get_bool(cli_opts_t *o, const char *key, int def, int *out, err_t *e);
/* One of choices (NULL-terminated, exact match); *out = its index. An absent
 * key gives def_index. */
int cli_get_choice(cli_opts_t *o, const char *key, const char *const *choices,
                   int def_index, int *out, err_t *e);
/* Split a comma-separated value (or def, may be NULL) into trimmed items.
 * *items is one malloc'ed block, NULL-terminated, freed by free(*items);
 * *n = the count (0 for an empty value). An empty item ("a,,b") -> ERR_USAGE. */
int cli_get_list(cli_opts_t *o, const char *key, const char *def,
                 char ***items, size_t *n, err_t *e);
/* A comma-separated list of integers in [min, max] (`--k 10,20,50`), at least
 * one; *out malloc'ed, caller frees. def is a string like "10,20". */
int cli_get_u32_list(cli_opts_t *o, const char *key, const char *def,
                     uint32_t min, uint32_t max, uint32_t **out, size_t *n,
                     err_t *e);

/* For checks the getters cannot do (exclusive options, ...): set ERR_USAGE
 * with the message prefixed by where key came from ("--key: " or
 * "FILE:LINE: key: "). Returns ERR_USAGE. */
int cli_error(const cli_opts_t *o, const char *key, err_t *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Every key must be in known (NULL-terminated; '-' or '_' both fine), else
 * ERR_USAGE "unknown option --foo (did you mean --fo?) (see --help)" or
 * "FILE:LINE: unknown key foo". Command-line keys are checked first. List
 * "help" and "config" too if the command takes them. */
int cli_check_unknown(const cli_opts_t *o, const char *const *known, err_t *e);
/* Every set key must have been read by a getter, else ERR_USAGE
 * "option --foo is not used by this command" / "FILE:LINE: key foo is not
 * used by this command". For commands whose reads depend on other options. */
int cli_check_unused(const cli_opts_t *o, err_t *e);

#endif
