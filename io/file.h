/* file.h - small whole-file and path helpers for outside files: a bounded
 * read of a whole file into memory (configs), and whether a path really
 * lies inside a directory (symlinks resolved), for the rule that a config
 * names output files only below its own directory (io/cli.h). */
#ifndef GNNREC_IO_FILE_H
#define GNNREC_IO_FILE_H

#include <stddef.h>

#include "base/err.h"

/* The whole file path into *buf (malloc'd, not NUL-terminated; free it) and
 * *len. More than max bytes: ERR_INPUT "PATH: too large for a WHAT (over N
 * MiB)". ERR_IO names the file, what it is for (what: "config") and the OS
 * reason. */
int io_file_read(const char *path, size_t max, const char *what, char **buf, size_t *len, err_t *e);

/* Whether path (relative to the working directory) is really inside dir:
 * the file itself if it exists (a symlink is followed, as fopen would), else
 * its parent directory. 1 inside, 0 outside, -1 cannot tell (the parent
 * does not exist). A dangling symlink counts as outside: fopen would create
 * whatever it names. */
int io_path_inside(const char *dir, const char *path);

#endif
