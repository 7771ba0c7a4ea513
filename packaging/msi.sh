#!/usr/bin/env bash
# Builds the Windows installer dist/offcircd-<version>-windows-amd64.msi from
# the files packaging/dist.sh staged in dist/windows_amd64, with wixl and
# msibuild (Debian: wixl, msitools). Called by dist.sh with VERSION and
# MSI_VERSION (packaging/msi-version.sh) in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=${VERSION:?VERSION not set}
MSI_VERSION=${MSI_VERSION:?MSI_VERSION not set}
DIST=${DIST:-dist}
stage=$DIST/windows_amd64
out=$DIST/offcircd-${VERSION}-windows-amd64.msi

die() { echo "msi: $*" >&2; exit 1; }
for tool in wixl msibuild msiinfo; do
	command -v $tool >/dev/null || die "$tool is missing (Debian: apt-get install wixl msitools)"
done
for f in offcircd.exe README.md LICENSE config.example.toml; do
	[ -f "$stage/$f" ] || die "$stage/$f is missing (packaging/dist.sh stages it)"
done

echo "msi: building $out (ProductVersion $MSI_VERSION) with $(wixl --version)"
# wixl resolves sources against its working directory and refuses absolute
# ones: run it in the staging folder.
wxs=$PWD/packaging/msi/offcircd.wxs
case "$out" in /*) abs=$out ;; *) abs=$PWD/$out ;; esac
(cd "$stage" && wixl -a x64 -D VERSION="$MSI_VERSION" -D STAGE=. -o "$abs" "$wxs")

# What wixl 0.101 cannot say in the .wxs:
# - the configuration component is NeverOverwrite (128) and Permanent (16),
#   64-bit (256): an edited offcircd.toml survives upgrades and uninstall;
# - the upgrade row that finds older versions also takes an equal one
#   (VersionMaxInclusive 512 | MigrateFeatures 1): a rebuild of the same
#   version replaces the installed product instead of installing beside it.
msibuild "$out" -q "UPDATE \`Component\` SET \`Attributes\` = 400 WHERE \`Component\` = 'Config'"
# The primary key of Upgrade includes Attributes: replace the row.
code=$(msiinfo export "$out" Upgrade | tr -d '\r' | awk -F'\t' '$7 == "WIX_UPGRADE_DETECTED" { print $1 }')
[ -n "$code" ] || die "$out: wixl wrote no WIX_UPGRADE_DETECTED row"
msibuild "$out" -q "DELETE FROM \`Upgrade\` WHERE \`ActionProperty\` = 'WIX_UPGRADE_DETECTED'"
msibuild "$out" -q "INSERT INTO \`Upgrade\` (\`UpgradeCode\`, \`VersionMax\`, \`Attributes\`, \`ActionProperty\`) VALUES ('$code', '$MSI_VERSION', 513, 'WIX_UPGRADE_DETECTED')"

# Refuse a package without the tables the service depends on.
tables=$(msiinfo tables "$out" | tr -d '\r')
for t in ServiceInstall ServiceControl CustomAction Registry Upgrade; do
	grep -qx "$t" <<<"$tables" || die "$out has no $t table"
done
attrs=$(msiinfo export "$out" Component | tr -d '\r' | awk -F'\t' '$1 == "Config" { print $4 }')
[ "$attrs" = 400 ] || die "$out: Config component attributes are '$attrs', want 400"
ls -l "$out"
