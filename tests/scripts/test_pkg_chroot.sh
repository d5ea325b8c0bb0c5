#!/bin/bash
# test_pkg_chroot.sh — the README's install section on a fresh Debian 12: a throw-away chroot
# made with debootstrap (minbase, bookworm, from the machine's Debian mirror), then, inside it,
# as the README says:
#
#   apt install ./mtadiag_*.deb          apt resolves Depends from the archive
#   mtadiag --version; mtadiag -r CAPTURE     the program runs and finds what it should
#   apt install tshark; tshark -G plugins    Wireshark loads both plugins from the global folder,
#   tshark -2 -r CAPTURE -q -z expert        and shows the findings
#   apt install ./mtadiag_*.deb (newer)      upgrade keeps an edited conffile
#   apt remove / apt purge                   removal leaves the conffiles / nothing
#
# The only step beyond the README is `apt-get update`, which a debootstrap root needs and an
# installed machine has done.  minbase has no systemd, so postinst takes its useradd path.
# The debootstrap tarball is kept in build/pkg-chroot/ for the next run (about 35 s to make).
# Skips (77) without root, debootstrap or a reachable mirror.
#
# env: MTA_SRC, MTA_BUILD, MTA_PKG_ENABLED.  Needs the package of test_pkg_build.sh.
set -u
: "${MTA_SRC:?}" "${MTA_BUILD:?}"
case "${MTA_PKG_ENABLED:-}" in
1) ;;
sanitizer) echo "skip: a sanitizer build makes no package"; exit 77 ;;
*) echo "FAIL - this build cannot make the package (${MTA_PKG_ENABLED:-unset}; tools/install-deps.sh)"; exit 1 ;;
esac
[ "$(id -u)" = 0 ] || { echo "skip: debootstrap and chroot need root"; exit 77; }
command -v debootstrap >/dev/null || { echo "skip: debootstrap is not installed"; exit 77; }
fails=0
passes=0
ok() { echo "ok - $1"; passes=$((passes + 1)); }
fail() { echo "FAIL - $1"; fails=$((fails + 1)); }
debs=("$MTA_BUILD"/deb/*.deb)
deb=${debs[0]}
[ -f "$deb" ] || { echo "FAIL - no package in $MTA_BUILD/deb (test_pkg_build.sh makes it)"; exit 1; }

mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
mirror=${mirror:-http://deb.debian.org/debian}
cache=$MTA_BUILD/pkg-chroot
tarball=$cache/bookworm-minbase.tar.gz
T=$(mktemp -d)
R=$T/root
cleanup() {
	umount "$R/proc" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

if [ ! -s "$tarball" ]; then
	mkdir -p "$cache"
	if ! debootstrap --variant=minbase --make-tarball="$tarball.new" bookworm "$T/dl" "$mirror" >"$T/db.log" 2>&1; then
		tail -5 "$T/db.log"
		rm -f "$tarball.new"
		echo "skip: debootstrap could not fetch bookworm from $mirror"
		exit 77
	fi
	mv "$tarball.new" "$tarball"
	rm -rf "$T/dl"
fi
if debootstrap --variant=minbase --unpack-tarball="$tarball" bookworm "$R" "$mirror" >"$T/db.log" 2>&1; then
	ok "fresh Debian 12 (debootstrap minbase bookworm)"
else
	tail -5 "$T/db.log"
	echo "FAIL - debootstrap"
	exit 1
fi
mount -t proc proc "$R/proc"
cp "$deb" "$R/root/"
cp "$MTA_SRC/pcaps/smtp/seed000-rst-during-data.pcap" "$R/root/capture.pcap"
in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
	DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 /bin/sh -c "cd /root && $1" >"$T/out" 2>&1; }

in_root "apt-get update -q" || { tail -5 "$T/out"; echo "skip: the mirror is not reachable from the chroot"; exit 77; }

# ---- install, as the README says --------------------------------------------------------------
if in_root "apt install -y ./mtadiag_*.deb"; then
	ok "apt install ./mtadiag_*.deb (dependencies from the archive)"
else
	tail -20 "$T/out"
	fail "apt install ./mtadiag_*.deb"
fi
in_root "dpkg-query -W -f='\${Status}' mtadiag libpcap0.8 libwireshark16" &&
	[ "$(grep -o 'install ok installed' "$T/out" | wc -l)" = 3 ] &&
	ok "mtadiag, libpcap0.8, libwireshark16 installed" || fail "installed: $(cat "$T/out")"
in_root "mtadiag --version" && grep -q '^mtadiag ' "$T/out" && ok "mtadiag --version: $(head -1 "$T/out")" ||
	fail "mtadiag --version: $(cat "$T/out")"
in_root "mtadiag -r capture.pcap --json --fail-on error"
rc=$?
[ "$rc" = 1 ] && grep -q '"code":"smtpdiag.message_lost"' "$T/out" &&
	ok "mtadiag -r finds smtpdiag.message_lost (exit 1 with --fail-on error)" || fail "mtadiag -r: exit $rc"
in_root "getent passwd mtadiag" && grep -q ':/var/lib/mtadiag:/usr/sbin/nologin$' "$T/out" &&
	ok "system user mtadiag (useradd path: no systemd in minbase)" || fail "system user: $(cat "$T/out")"
[ -f "$R/usr/share/man/man1/mtadiag.1.gz" ] && [ -f "$R/usr/share/bash-completion/completions/mtadiag" ] &&
	ok "man page and completion installed" || fail "man page or completion missing"

# ---- Wireshark finds the plugins ----------------------------------------------------------------
if in_root "apt-get install -y -q --no-install-recommends tshark"; then
	in_root "tshark -G plugins"
	grep -q '^smtpdiag\.so' "$T/out" && grep -q '^osidiag\.so' "$T/out" &&
		ok "tshark -G plugins lists smtpdiag.so and osidiag.so" || fail "tshark -G plugins: $(grep diag "$T/out")"
	in_root "tshark -2 -r capture.pcap -q -z expert"
	grep -q 'was not delivered on this connection' "$T/out" && ok "tshark shows the plugins' findings" ||
		fail "tshark -z expert: $(head -20 "$T/out")"
else
	tail -5 "$T/out"
	fail "apt-get install tshark"
fi

# ---- upgrade: an edited conffile stays -----------------------------------------------------------
sed -i 's/^MTADIAG_IFACE=.*/MTADIAG_IFACE=ens7/' "$R/etc/mtadiag/mtadiag.conf"
old=$(dpkg-deb -f "$deb" Version)
dpkg-deb -R "$deb" "$T/up"
sed -i "s/^Version: .*/Version: $old+1/" "$T/up/DEBIAN/control"
dpkg-deb --root-owner-group -b "$T/up" "$R/root/mtadiag_upgrade.deb" >/dev/null
in_root "apt install -y ./mtadiag_upgrade.deb" && in_root "dpkg-query -W -f='\${Version}' mtadiag" &&
	[ "$(cat "$T/out")" = "$old+1" ] && ok "apt install of a newer package upgrades" || fail "upgrade: $(tail -5 "$T/out")"
grep -qx 'MTADIAG_IFACE=ens7' "$R/etc/mtadiag/mtadiag.conf" && ok "upgrade kept the edited mtadiag.conf" ||
	fail "upgrade lost the edit of mtadiag.conf"

# ---- remove, purge -------------------------------------------------------------------------------
in_root "apt remove -y mtadiag" && [ ! -e "$R/usr/bin/mtadiag" ] && [ -f "$R/etc/mtadiag/mtadiag.conf" ] &&
	ok "apt remove: program gone, conffiles kept" || fail "apt remove: $(tail -5 "$T/out")"
mkdir -p "$R/var/log/mtadiag" && echo '{}' >"$R/var/log/mtadiag/findings.jsonl"
in_root "apt purge -y mtadiag" && in_root "dpkg-query -W -f='\${Status}' mtadiag"
left=$(cd "$R" && ls -d etc/mtadiag etc/logrotate.d/mtadiag var/log/mtadiag var/lib/mtadiag lib/systemd/system/mtadiag.service \
	usr/lib/sysusers.d/mtadiag.conf usr/lib/*/wireshark/plugins/*/epan/*diag.so 2>/dev/null | tr '\n' ' ')
[ -z "$left" ] && ok "apt purge: nothing of mtadiag left" || fail "apt purge left: $left"

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
