/* cmd_pending.c - subcommands whose issue has not landed yet: they say so
 * and exit 1 instead of pretending. Removed as each command lands. */
#include <stdio.h>

#include "tools/commands.h"

static int pending(const char *cmd)
{
    fprintf(stderr, "gnnrec %s: not available yet in this build\n", cmd);
    return 1;
}

int cli_cmd_infer(int argc, char **argv) { (void)argc; (void)argv; return pending("infer"); }
