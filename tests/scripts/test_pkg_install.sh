#!/bin/bash
# test_pkg_install.sh — the Debian package installs into a scratch root, upgrades, is removed and
# purged cleanly, with dpkg itself:
#
#   dpkg --root=R --force-script-chrootless -i / -r / -P
#
# --root keeps dpkg's database and every file in R; --force-script-chrootless runs the
# maintainer scripts without chroot (R has no shell) with DPKG_ROOT=R, which the scripts honour
# (systemd-sysusers --root, nothing started or reloaded).  R's database starts as a copy of this
# machine's (without mtadiag), so Depends is checked for real against the packages installed
# here; their files are not in R.  The test checks: installed files = the package's; the system
# user created in R from the sysusers.d entry; an upgrade keeps an administrator's edit of a
# conffile; remove leaves only the conffiles ("config-files"); purge leaves nothing of mtadiag
# (the service's log and state directories included) apart from the system user, as policy
# wants; and nothing outside R changed.
#
# A fresh Debian 12 with apt resolving the dependencies is test_pkg_chroot.sh.
# env: MTA_BUILD, MTA_PKG_ENABLED.  Needs root (dpkg --root) and the package of test_pkg_build.sh.
set -u
: "${MTA_BUILD:?}"
case "${MTA_PKG_ENABLED:-}" in
1) ;;
sanitizer) echo "skip: a sanitizer build makes no package"; exit 77 ;;
*) echo "FAIL - this build cannot make the package (${MTA_PKG_ENABLED:-unset}; tools/install-deps.sh)"; exit 1 ;;
esac
[ "$(id -u)" = 0 ] || { echo "skip: dpkg --root needs root"; exit 77; }
fails=0
passes=0
ok() { echo "ok - $1"; passes=$((passes + 1)); }
fail() { echo "FAIL - $1"; fails=$((fails + 1)); }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
debs=("$MTA_BUILD"/deb/*.deb)
deb=${debs[0]}
[ -f "$deb" ] || { echo "FAIL - no package in $MTA_BUILD/deb (test_pkg_build.sh makes it)"; exit 1; }
R=$T/root
DPKG=(dpkg --root="$R" --force-script-chrootless --log="$T/dpkg.log")

# What outside R could a mistaken script touch?  Fingerprint it before and compare after.
host_state() {
	for f in /etc/passwd /etc/group /etc/shadow /usr/bin/mtadiag /lib/systemd/system/mtadiag.service \
		/etc/mtadiag/mtadiag.conf /etc/logrotate.d/mtadiag /var/log/mtadiag /var/lib/mtadiag; do
		if [ -e "$f" ]; then echo "$f $(stat -c '%s %Y' "$f") $(md5sum <"$f" 2>/dev/null | cut -c1-32)"; else echo "$f absent"; fi
	done
}
host_state >"$T/host.before"

# R: dpkg's database seeded with this machine's installed packages, minus mtadiag.
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/etc"
awk -v RS= -v ORS='\n\n' '!/^Package: mtadiag\n/ && /\nStatus: install ok installed\n/' \
	/var/lib/dpkg/status >"$R/var/lib/dpkg/status"
[ -f /var/lib/dpkg/arch ] && cp /var/lib/dpkg/arch "$R/var/lib/dpkg/arch"
: >"$R/var/lib/dpkg/available"

status() { "${DPKG[@]}" -s mtadiag 2>/dev/null | sed -n 's/^Status: //p'; }
files_in_root() { (cd "$R" && find . \( -path ./var/lib/dpkg -prune \) -o \( -type f -o -type l \) -print | sed 's/^\.//' | sort); }

# ---- install ---------------------------------------------------------------------------------
if "${DPKG[@]}" -i "$deb" >"$T/out" 2>&1; then
	ok "dpkg -i into the scratch root"
else
	cat "$T/out"
	echo "FAIL - dpkg -i"
	exit 1
fi
[ "$(status)" = "install ok installed" ] && ok "status: install ok installed" || fail "status: $(status)"
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print substr($6, 2) }' | sort >"$T/pkgfiles"
files_in_root | grep -v '^/etc/\(passwd\|group\|shadow\|gshadow\)-\?$\|^/etc/\.pwd\.lock$' >"$T/installed"
diff -u "$T/pkgfiles" "$T/installed" >"$T/diff" && ok "installed files = the package's ($(wc -l <"$T/pkgfiles"))" ||
	{ fail "installed files differ:"; cat "$T/diff"; }
"${DPKG[@]}" -L mtadiag | sort >"$T/listed"
comm -23 "$T/pkgfiles" "$T/listed" | grep . && fail "dpkg -L misses files"
"${DPKG[@]}" --verify mtadiag >"$T/verify" 2>&1 && [ ! -s "$T/verify" ] && ok "dpkg --verify: clean" ||
	fail "dpkg --verify: $(cat "$T/verify")"
"$R/usr/bin/mtadiag" --version | head -1 | grep -q '^mtadiag ' && ok "installed mtadiag runs" || fail "installed mtadiag --version"
# the system user of mtadiag.service, made from /usr/lib/sysusers.d/mtadiag.conf
user=$(grep '^mtadiag:' "$R/etc/passwd" 2>/dev/null)
case "$user" in
mtadiag:x:*:*:*:/var/lib/mtadiag:/usr/sbin/nologin) ok "postinst: system user in R: $user" ;;
*) fail "postinst: no system user mtadiag in $R/etc/passwd ('$user')" ;;
esac
grep -q '^mtadiag:' "$R/etc/group" 2>/dev/null && ok "postinst: group mtadiag" || fail "postinst: no group mtadiag"

# ---- upgrade: the same package as a newer version; the administrator's edit stays ------------
conf=$R/etc/mtadiag/mtadiag.conf
sed -i 's/^MTADIAG_IFACE=.*/MTADIAG_IFACE=ens7/' "$conf"
dpkg-deb -R "$deb" "$T/up"
old=$(dpkg-deb -f "$deb" Version)
sed -i "s/^Version: .*/Version: $old+1/" "$T/up/DEBIAN/control"
dpkg-deb --root-owner-group -b "$T/up" "$T/up.deb" >/dev/null
if "${DPKG[@]}" -i "$T/up.deb" >"$T/out" 2>&1; then
	ok "upgrade $old -> $old+1"
else
	cat "$T/out"
	fail "upgrade"
fi
[ "$("${DPKG[@]}" -s mtadiag | sed -n 's/^Version: //p')" = "$old+1" ] && ok "upgraded version installed" ||
	fail "version after upgrade"
grep -qx 'MTADIAG_IFACE=ens7' "$conf" && [ ! -e "$conf.dpkg-new" ] && [ ! -e "$conf.dpkg-dist" ] &&
	ok "upgrade kept the edited conffile" || fail "upgrade did not keep /etc/mtadiag/mtadiag.conf"
[ "$(grep -c '^mtadiag:' "$R/etc/passwd")" = 1 ] && ok "upgrade: one system user" || fail "upgrade: user duplicated"

# ---- remove: the conffiles stay ---------------------------------------------------------------
if "${DPKG[@]}" -r mtadiag >"$T/out" 2>&1; then ok "dpkg -r"; else
	cat "$T/out"
	fail "dpkg -r"
fi
[ "$(status)" = "deinstall ok config-files" ] && ok "status: deinstall ok config-files" || fail "status: $(status)"
left=$(files_in_root | grep -v '^/etc/\(passwd\|group\|shadow\|gshadow\)-\?$\|^/etc/\.pwd\.lock$' | tr '\n' ' ')
[ "$left" = "/etc/logrotate.d/mtadiag /etc/mtadiag/mtadiag.conf " ] && ok "remove left the conffiles only" ||
	fail "remove left: $left"

# ---- purge: nothing of mtadiag is left but the user -------------------------------------------
mkdir -p "$R/var/log/mtadiag" "$R/var/lib/mtadiag"
echo '{"kind":"stats"}' >"$R/var/log/mtadiag/findings.jsonl"
if "${DPKG[@]}" -P mtadiag >"$T/out" 2>&1; then ok "dpkg -P"; else
	cat "$T/out"
	fail "dpkg -P"
fi
[ -z "$(status)" ] && ok "purged: unknown to dpkg" || fail "status after purge: $(status)"
left=$(files_in_root | grep -v '^/etc/\(passwd\|group\|shadow\|gshadow\)-\?$\|^/etc/\.pwd\.lock$' | tr '\n' ' ')
[ -z "$left" ] && ok "purge left no file" || fail "purge left: $left"
dirs=$(cd "$R" && find . -path ./var/lib/dpkg -prune -o -type d -print | grep -v '^\.\(/etc\|/var\|/var/lib\|/var/log\)\?$' | tr '\n' ' ')
[ -z "$dirs" ] && ok "purge left no directory" || fail "purge left directories: $dirs"
ls "$R/var/lib/dpkg/info" | grep -q '^mtadiag\.' && fail "dpkg info files of mtadiag left"

host_state >"$T/host.after"
diff -u "$T/host.before" "$T/host.after" >"$T/diff" && ok "nothing changed outside the scratch root" ||
	{ fail "the host changed:"; cat "$T/diff"; }

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
