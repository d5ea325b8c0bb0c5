#!/bin/bash
# test_pkg_contents.sh — the Debian package holds exactly the files of tests/pkg/files.txt,
# with their modes and owner root/root, no empty directory, the two conffiles under /etc, the
# plugins in the folder Wireshark loads global plugins from (pkg-config plugindir, which is
# also what tshark -G folders calls "Global Plugins"), a gzip'd man page and changelog without
# timestamps, and a systemd unit that starts the packaged /usr/bin/mtadiag.
#
# env: MTA_SRC, MTA_BUILD, MTA_PKG_ENABLED.  Needs the package of test_pkg_build.sh.
set -u
: "${MTA_SRC:?}" "${MTA_BUILD:?}"
case "${MTA_PKG_ENABLED:-}" in
1) ;;
sanitizer) echo "skip: a sanitizer build makes no package"; exit 77 ;;
*) echo "FAIL - this build cannot make the package (${MTA_PKG_ENABLED:-unset}; tools/install-deps.sh)"; exit 1 ;;
esac
fails=0
passes=0
ok() { echo "ok - $1"; passes=$((passes + 1)); }
fail() { echo "FAIL - $1"; fails=$((fails + 1)); }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
debs=("$MTA_BUILD"/deb/*.deb)
deb=${debs[0]}
[ -f "$deb" ] || { echo "FAIL - no package in $MTA_BUILD/deb (test_pkg_build.sh makes it)"; exit 1; }

plugindir=$(pkg-config --variable=plugindir wireshark)
[ -n "$plugindir" ] || { echo "FAIL - pkg-config knows no Wireshark plugindir"; exit 1; }
if command -v tshark >/dev/null; then
	global=$(unshare -U tshark -G folders 2>/dev/null | awk -F'\t' '/^Global Plugins:/ { print $NF }')
	[ "$global" = "$plugindir" ] && ok "tshark's global plugin folder is $plugindir" ||
		fail "tshark -G folders: global plugins in '$global', pkg-config says $plugindir"
fi

grep -v '^#' "$MTA_SRC/tests/pkg/files.txt" | sed "s|@WS_PLUGIN_DIR@|$plugindir|" | sort >"$T/want"
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $1, $2, substr($6, 2) }' | sort >"$T/have"
if diff -u "$T/want" "$T/have" >"$T/diff"; then
	ok "files, modes and owners as tests/pkg/files.txt ($(wc -l <"$T/have") files)"
else
	fail "package contents differ from tests/pkg/files.txt (- expected, + in the package):"
	cat "$T/diff"
fi
dpkg-deb -c "$deb" | awk '$1 ~ /^d/ && $2 != "root/root" { print }' | grep . && fail "directory not root/root"
dpkg-deb -c "$deb" | awk '$1 ~ /^d/ { print substr($6, 2) }' | while read -r d; do
	grep -q "^[^ ]* [^ ]* ${d}." "$T/have" || echo "$d"
done >"$T/empty"
[ -s "$T/empty" ] && fail "empty directories: $(tr '\n' ' ' <"$T/empty")" || ok "no empty directory"

dpkg-deb -e "$deb" "$T/control"
[ "$(sort "$T/control/conffiles")" = "$(grep -o ' /etc/.*' "$T/want" | tr -d ' ' | sort)" ] &&
	ok "conffiles: every file under /etc" || fail "conffiles: $(cat "$T/control/conffiles")"

dpkg-deb -x "$deb" "$T/root"
for gz in usr/share/man/man1/mtadiag.1.gz usr/share/doc/mtadiag/changelog.Debian.gz; do
	gzip -t "$T/root/$gz" && [ "$(od -An -tu4 -j4 -N4 "$T/root/$gz" | tr -d ' ')" = 0 ] &&
		ok "$gz: gzip without timestamp" || fail "$gz: not gzip -n"
done
unit=$T/root/lib/systemd/system/mtadiag.service
grep -q "^ExecStart=.*exec /usr/bin/mtadiag -i " "$unit" && ok "unit starts /usr/bin/mtadiag" ||
	fail "unit ExecStart: $(grep ^ExecStart "$unit")"
grep -q '@[A-Z_]*@' "$unit" && fail "unit has unreplaced @VARIABLES@"
if command -v systemd-analyze >/dev/null; then
	# the unit's syntax and directives (the man page it names is checked by test_man.sh)
	out=$(cd "$T" && systemd-analyze verify --man=no "$unit" 2>&1)
	[ -z "$out" ] && ok "systemd-analyze verify: clean" || fail "systemd-analyze verify: $out"
fi
cmp -s "$T/root/usr/share/bash-completion/completions/mtadiag" "$MTA_SRC/packaging/bash-completion/mtadiag" &&
	ok "bash completion" || fail "bash completion differs from packaging/bash-completion/mtadiag"

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
