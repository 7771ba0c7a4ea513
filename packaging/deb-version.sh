#!/bin/sh
# Prints the Debian package version for a `git describe` version ($1) and a
# commit ($2). Debian versions must start with a digit and sort correctly:
#   v1.2.3            -> 1.2.3
#   v1.2.3-rc1        -> 1.2.3~rc1            (before 1.2.3)
#   v1.2.3-4-gabc1234 -> 1.2.3+4.gabc1234     (after 1.2.3)
#   abc1234-dirty     -> 0.0.0+gitabc1234     (no tag yet)
v=${1#v}
case "$v" in
[0-9]*.[0-9]*)
	echo "$v" | sed -e 's/-dirty$/+dirty/' -e 's/-\([0-9][0-9]*\)-g\([0-9a-f]*\)/+\1.g\2/' -e 's/-/~/g'
	;;
*)
	echo "0.0.0+git${2:-unknown}"
	;;
esac
