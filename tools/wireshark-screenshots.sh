#!/bin/bash
# wireshark-screenshots.sh — re-take the README / docs/wireshark.md screenshots of the plugins in
# the real Wireshark GUI, under Xvfb (Debian packages xvfb, xdotool, imagemagick, wireshark-qt).
#
#   tools/wireshark-screenshots.sh [BUILD]      (BUILD: the build directory, default build)
#
# Writes docs/img/wireshark-expert.png (seed 000: Expert Information with the smtpdiag.rst
# error selected, the SMTPDIAG tree expanded) and docs/img/wireshark-osi-fields.png (seed 003:
# frame 13, the OSIDIAG tree with the session TSDU's fields expanded).  The plugins are loaded
# from BUILD/home as a personal plugin folder; as root Wireshark ignores that folder, so it runs
# in a user namespace (unshare -U).  The clicks are screen positions on a 1400x1000 screen with
# Wireshark's default layout and profile (a fresh HOME): check the images after a run.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
PLUG=$BUILD/home/.local/lib/wireshark/plugins/4.0/epan
[ -e "$PLUG/smtpdiag.so" ] && [ -e "$PLUG/osidiag.so" ] || { echo "no plugins in $PLUG (build first)" >&2; exit 2; }
for t in Xvfb xdotool import wireshark; do command -v $t >/dev/null || { echo "$t missing" >&2; exit 2; }; done

T=$(mktemp -d)
DISP=:$((90 + RANDOM % 9))
Xvfb "$DISP" -screen 0 1400x1000x24 -ac -nolisten tcp >"$T/xvfb.log" 2>&1 &
XPID=$!
WPID=
cleanup() {
	[ -n "$WPID" ] && kill "$WPID" 2>/dev/null
	kill "$XPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
export DISPLAY=$DISP
sleep 1
# a fresh home: default profile and layout, our plugins as personal plugins
mkdir -p "$T/home/.local/lib/wireshark/plugins/4.0/epan" "$T/run"
chmod 700 "$T/run"
ln -s "$PLUG/smtpdiag.so" "$PLUG/osidiag.so" "$T/home/.local/lib/wireshark/plugins/4.0/epan/"
WS=(env HOME="$T/home" XDG_RUNTIME_DIR="$T/run" wireshark)
[ "$(id -u)" = 0 ] && WS=(unshare -U "${WS[@]}")

# open F FILTER FRAME: start Wireshark on F, filtered, FRAME selected; full-screen window
open() {
	"${WS[@]}" -r "$1" -Y "$2" -g "$3" >"$T/ws.log" 2>&1 &
	WPID=$!
	local w="" i
	for i in $(seq 1 30); do
		w=$(xdotool search --name "$(basename "$1")" 2>/dev/null | head -1) && [ -n "$w" ] && break
		sleep 0.5
	done
	[ -n "$w" ] || { echo "Wireshark did not open $1" >&2; cat "$T/ws.log" >&2; exit 1; }
	sleep 2
	xdotool windowsize "$w" 1400 1000 windowmove "$w" 0 0
	sleep 1
	# widen the packet details pane: drag the splitter to the bytes pane to the right
	xdotool mousemove 699 750 mousedown 1 mousemove 900 750 mousemove 1150 750 mouseup 1
	sleep 0.5
}
close() {
	kill "$WPID" 2>/dev/null || true
	wait "$WPID" 2>/dev/null || true
	WPID=
}
click() {
	xdotool mousemove "$1" "$2" click 1
	sleep "${3:-0.7}"
}
shot() {
	xdotool mousemove 1380 990 # the pointer out of the way
	sleep 0.3
	import -window root "$1"
	echo "wrote $1"
}

# 1. SMTP: Analyze -> Expert Information, moved to the top right; the first error group opened
#    and its frame-18 entry selected (which selects the expert info in the SMTPDIAG tree).
open "$SRC/pcaps/smtp/seed000-rst-during-data.pcap" smtpdiag 18
click 255 10 1             # Analyze
click 314 367 2            # Expert Information
e=$(xdotool search --name "Expert Information" | head -1)
xdotool windowmove "$e" 650 120 windowsize "$e" 740 320
sleep 1
click 672 161              # expand the first Error group
click 800 178 1.5          # its entry: frame 18
shot "$SRC/docs/img/wireshark-expert.png"
close

# 2. OSI: frame 13 of seed 003, the OSIDIAG tree opened and the session TSDU item expanded.
open "$SRC/pcaps/osi/seed003_invalid_mip_abort.pcap" osidiag 13
click 11 680               # expand OSIDIAG (the last protocol of the frame)
click 30 749 0.5           # expand the Session TSDU item
click 300 749              # and select it
shot "$SRC/docs/img/wireshark-osi-fields.png"
close
