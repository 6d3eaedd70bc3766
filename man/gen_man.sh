#!/bin/sh
# gen_man.sh GNNREC OUT - write the man page gnnrec.1 from the command's
# own help texts (`gnnrec --help` for the command list, `gnnrec CMD --help`
# for each), so the page cannot drift from the options. Run by meson at
# build time; installed to share/man/man1.
set -eu
exe=$1
out=$2
tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT
# roff: backslashes escaped, a line starting with . or ' kept as text
roff() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"; }
commands=$("$exe" --help | sed -n '/^commands:/,$p' | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
[ -n "$commands" ] || { echo "gen_man.sh: no commands in '$exe --help'" >&2; exit 1; }
{
    printf '.TH GNNREC 1 "" "gnnrec %s" "User Commands"\n' "$("$exe" --version | sed 's/^gnnrec //')"
    printf '.SH NAME\ngnnrec \\- a graph-neural-network recommender for CPU servers\n'
    printf '.SH SYNOPSIS\n.B gnnrec\n.I COMMAND\n[\n.I OPTIONS\n]\n'
    printf '.SH DESCRIPTION\n.nf\n'
    "$exe" --help | roff
    printf '.fi\n.SH COMMANDS\n'
    for c in $commands; do
        printf '.SS %s\n.nf\n' "$c"
        "$exe" "$c" --help | roff
        printf '.fi\n'
    done
    printf '.SH EXIT STATUS\n0 on success, 2 for bad usage or bad input, 1 for other failures.\n'
    printf '.SH SEE ALSO\nThe C library: gnnrec.h, pkg-config gnnrec.\n'
} >"$tmp"
mv "$tmp" "$out"
trap - EXIT
