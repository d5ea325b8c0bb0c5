#!/bin/bash
# test_pkg_build.sh — the Debian package builds (cpack -G DEB into build/deb/) and its control
# data is right: name, version (project(VERSION) as mtadiag --version prints it, plus the
# Debian revision of packaging/debian/changelog), architecture, the maintainer scripts and
# conffiles, and Depends naming the package of every shared library that mtadiag and the two
# plugins load (so libpcap0.8 and the libwireshark of the plugins' ABI) — as installed on this
# machine, found with dpkg -S.  The other test_pkg_* tests use the package made here.
#
# env: MTADIAG, MTA_SRC, MTA_BUILD, MTA_PKG_ENABLED (1 when packaging/ set up CPack, else why not).
set -u
: "${MTADIAG:?}" "${MTA_SRC:?}" "${MTA_BUILD:?}"
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

cd "$MTA_BUILD" || exit 1
rm -rf deb
if cpack -G DEB --config CPackConfig.cmake >"$T/cpack.log" 2>&1; then
	ok "cpack -G DEB"
else
	cat "$T/cpack.log"
	echo "FAIL - cpack -G DEB"
	exit 1
fi
debs=(deb/*.deb)
version=$("$MTADIAG" --version | sed -n '1s/^mtadiag //p')
release=$(sed -n '1s/^mtadiag ([^-]*-\([0-9]*\)).*/\1/p' "$MTA_SRC/packaging/debian/changelog")
arch=$(dpkg --print-architecture)
want=deb/mtadiag_${version}-${release}_${arch}.deb
[ ${#debs[@]} = 1 ] && [ "${debs[0]}" = "$want" ] && ok "one package: $want" ||
	{ fail "packages made: ${debs[*]} (want $want)"; exit 1; }

field() { dpkg-deb -f "$want" "$1"; }
[ "$(field Package)" = mtadiag ] && ok "Package: mtadiag" || fail "Package: $(field Package)"
[ "$(field Version)" = "$version-$release" ] && ok "Version: $version-$release" || fail "Version: $(field Version)"
[ "$(field Architecture)" = "$arch" ] && ok "Architecture: $arch" || fail "Architecture: $(field Architecture)"
[ -n "$(field Maintainer)" ] && [ -n "$(field Description)" ] && [ "$(field Section)" = net ] &&
	ok "Maintainer, Description, Section" || fail "Maintainer/Description/Section"

dpkg-deb -e "$want" "$T/control"
for f in postinst prerm postrm; do
	[ -x "$T/control/$f" ] && sh -n "$T/control/$f" && cmp -s "$T/control/$f" "$MTA_SRC/packaging/debian/$f" ||
		fail "maintainer script $f"
done
ok "maintainer scripts postinst prerm postrm (executable, sh syntax)"
cmp -s "$T/control/conffiles" "$MTA_SRC/packaging/debian/conffiles" && ok "conffiles" || fail "conffiles"

# Depends: the package of every library the ELF files need, with a version.
dpkg-deb -x "$want" "$T/root"
depends=$(field Depends)
elfs=("$T/root/usr/bin/mtadiag" "$T"/root/usr/lib/*/wireshark/plugins/*/epan/*.so)
[ ${#elfs[@]} = 3 ] || fail "ELF files in the package: ${elfs[*]}"
for elf in "${elfs[@]}"; do
	for lib in $(objdump -p "$elf" | awk '/NEEDED/ { print $2 }'); do
		path=$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }')
		# dpkg knows the path it installed: /lib or /usr/lib (merged /usr), link or file
		real=$(readlink -f "$path")
		pkg=$(dpkg -S "$path" "$real" "${real#/usr}" "${path#/usr}" 2>/dev/null | head -1 | cut -d: -f1)
		if [ -z "$pkg" ]; then
			fail "$lib (needed by ${elf##*/}): no package owns $path"
			continue
		fi
		case ", $depends," in
		*", $pkg ("*) ;;
		*) fail "$lib (needed by ${elf##*/}) is in $pkg, which Depends lacks: $depends" ;;
		esac
	done
done
for pkg in libpcap0.8 libwireshark16; do
	case "$depends" in *"$pkg ("*) ok "Depends names $pkg" ;; *) fail "Depends lacks $pkg: $depends" ;; esac
done
ws_abi=$(ls -d "$T"/root/usr/lib/*/wireshark/plugins/*/ | xargs -n1 basename)
ws_soname=$(objdump -p "$T"/root/usr/lib/*/wireshark/plugins/*/epan/smtpdiag.so | awk '/NEEDED.*libwireshark/ { print $2 }')
ok "plugins for Wireshark $ws_abi, linked to $ws_soname"

# The packaged program is the one built here, stripped.
[ "$("$T/root/usr/bin/mtadiag" --version | head -1)" = "mtadiag $version" ] &&
	ok "packaged mtadiag --version: $version" || fail "packaged mtadiag --version"
file "$T/root/usr/bin/mtadiag" | grep -q ', stripped' && ok "binaries stripped" || fail "mtadiag not stripped"

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
