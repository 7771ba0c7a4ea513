#!/bin/sh
# Prints the MSI ProductVersion for a `git describe` version ($1) and the
# number of commits in the history ($2). Windows Installer wants
# major.minor.build[.revision] with major and minor at most 255 and build at
# most 65535, and compares only the first three fields when it looks for the
# product a major upgrade replaces; the MSI therefore also treats an equal
# version as older (packaging/msi.sh sets VersionMaxInclusive), so a rebuild
# of the same tag still replaces the installed one.
#   v1.2.3            -> 1.2.3.0
#   v1.2.3-rc1        -> 1.2.3.0
#   v1.2.3-4-gabc1234 -> 1.2.3.4               (4 commits after the tag)
#   abc1234-dirty     -> 0.0.0.<commits>       (no tag yet)
v=${1#v}
n=${2:-0}
case "$n" in *[!0-9]* | '') n=0 ;; esac
[ "$n" -gt 65535 ] && n=65535
case "$v" in
[0-9]*.[0-9]*)
	base=$(echo "$v" | sed -e 's/^\([0-9][0-9]*\.[0-9][0-9]*\(\.[0-9][0-9]*\)\{0,1\}\).*/\1/')
	case "$base" in *.*.*) ;; *) base=$base.0 ;; esac
	after=$(echo "$v" | sed -n 's/.*-\([0-9][0-9]*\)-g[0-9a-f]*\(-dirty\)\{0,1\}$/\1/p')
	echo "$base.${after:-0}" | awk -F. '{
		if ($1 > 255 || $2 > 255 || $3 > 65535) { print "msi-version: " $0 " is out of range (255.255.65535)" > "/dev/stderr"; exit 1 }
		r = $4; if (r > 65535) r = 65535
		printf "%d.%d.%d.%d\n", $1, $2, $3, r }'
	;;
*)
	echo "0.0.0.$n"
	;;
esac
