#!/bin/bash
# test_pkg_lintian.sh — lintian finds no error and no warning in the Debian package (overrides:
# packaging/debian/lintian-overrides, each with its reason).  Every tag it does report (info,
# pedantic, overridden) is printed for the log.  Known info tags, see README "Debian package".
#
# env: MTA_BUILD, MTA_PKG_ENABLED.  Needs the package of test_pkg_build.sh and lintian.
set -u
: "${MTA_BUILD:?}"
case "${MTA_PKG_ENABLED:-}" in
1) ;;
sanitizer) echo "skip: a sanitizer build makes no package"; exit 77 ;;
*) echo "FAIL - this build cannot make the package (${MTA_PKG_ENABLED:-unset}; tools/install-deps.sh)"; exit 1 ;;
esac
command -v lintian >/dev/null || { echo "FAIL - lintian is not installed (tools/install-deps.sh)"; exit 1; }
debs=("$MTA_BUILD"/deb/*.deb)
[ -f "${debs[0]}" ] || { echo "FAIL - no package in $MTA_BUILD/deb (test_pkg_build.sh makes it)"; exit 1; }

# lintian warns on stderr when run as root; that is not a finding about the package.
out=$(lintian --display-info --pedantic --show-overrides "${debs[0]}" 2>/dev/null)
rc=$?
printf '%s\n' "$out"
errors=$(printf '%s\n' "$out" | grep -c '^E: ')
warnings=$(printf '%s\n' "$out" | grep -c '^W: ')
echo "lintian: exit $rc, $errors errors, $warnings warnings, $(printf '%s\n' "$out" | grep -c '^[IPXO]: ') other tags"
[ "$rc" -le 1 ] || { echo "FAIL - lintian did not run (exit $rc)"; exit 1; }
if [ "$errors" = 0 ] && [ "$warnings" = 0 ]; then
	echo "ok - no lintian error or warning"
else
	echo "FAIL - lintian errors or warnings"
	exit 1
fi
