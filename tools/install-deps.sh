#!/bin/sh
# install-deps.sh — the Debian 12 packages mtadiag needs to build, test and run (the last line:
# the Debian package, its man page and completion, and their tests).
set -e
PKGS="cmake gcc make pkg-config clang libclang-rt-14-dev libpcap-dev libcmocka-dev libglib2.0-dev
      libwireshark-dev wireshark-dev tshark tcpdump python3 python3-scapy
      python3-aiosmtpd swaks iproute2 tcpreplay time
      dpkg-dev file lintian groff man-db bash-completion systemd debootstrap chromium"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "install-deps: installing:$missing" >&2
	$SUDO apt-get update -q
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi
