#!/bin/bash
# soak.sh — live capture under sustained SMTP load (not part of ctest: it runs for minutes).
#
# Two network namespaces joined by a veth pair (tests/tools/live_netns.sh); tcpreplay sends an
# SMTP capture made by tests/bench/gen_bench.py in a loop from one side (--unique-ip: every loop
# is a fresh set of connections), `mtadiag -i` captures on the other side.
#
#   1. Ramp: RAMP_SECS (default 20) seconds at each rate of RATES (Mbit/s, "top" = as fast as
#      tcpreplay goes); for each, the packets tcpreplay sent, what libpcap received and what the
#      kernel dropped.  The highest rate without a kernel drop is the soak rate (or "top").
#   2. Soak: SOAK_SECS (default 600) seconds at that rate; mtadiag's RSS sampled every
#      SAMPLE_SECS (default 10); at the end SIGINT, and the stats object's counters.
#
# Prints the two tables and two verdicts: RSS flat (the last sample within 10 % + 2 MB of the
# sample taken after the first minute) and the kernel drops during the soak.
# Needs root, iproute2, tcpreplay, python3; run from anywhere:
#   tests/live/soak.sh [build/mtadiag]
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
MTADIAG=$(realpath "${1:-$src/build/mtadiag}")
export MTADIAG
RAMP_SECS=${RAMP_SECS:-20}
SOAK_SECS=${SOAK_SECS:-600}
SAMPLE_SECS=${SAMPLE_SECS:-10}
RATES=${RATES:-"100 250 500 1000 2000 top"}
. "$src/tests/tools/live_netns.sh"
live_require
command -v tcpreplay >/dev/null || live_skip "tcpreplay missing (tools/install-deps.sh)"
trap live_cleanup EXIT
LIVE_TMP=$(mktemp -d)
t=$LIVE_TMP
live_netns_up || { echo "cannot build the namespaces"; exit 1; }

cap=$t/soak.pcap
/usr/bin/python3 "$src/tests/bench/gen_bench.py" smtp "$cap" --sessions 2000 --mean-body 15000 \
	--rate 50 --gap-ms 5 --seed 5 >/dev/null || { echo "capture generator failed"; exit 1; }
echo "soak capture: $(stat -c %s "$cap") octets, $(capinfos -M -c -T -r "$cap" | cut -f2) packets"

rate_opt() { if [ "$1" = top ]; then echo "--topspeed"; else echo "--mbps=$1"; fi; }

# run_capture SECS RATE OUTPREFIX [sample]: mtadiag -i for the duration of one tcpreplay run.
run_capture() {
	local secs=$1 rate=$2 out=$3 sample=${4:-} pid child rsz el=0
	rm -f "$out.json" "$out.err" "$out.rss"
	ip netns exec "$NS_B" "$MTADIAG" -i "$VETH_B" -f tcp --json >"$out.json" 2>"$out.err" &
	pid=$!
	live_bg "$pid"
	live_wait_listening "$out.err" "$pid" || return 1
	ip netns exec "$NS_A" tcpreplay -q -i "$VETH_A" -K --loop=0 --unique-ip --duration="$secs" \
		"$(rate_opt "$rate")" "$cap" >"$out.replay" 2>&1 &
	child=$!
	if [ -n "$sample" ]; then
		while kill -0 "$child" 2>/dev/null; do
			sleep "$SAMPLE_SECS"
			el=$((el + SAMPLE_SECS))
			rsz=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null)
			[ -n "$rsz" ] && echo "$el $rsz" >>"$out.rss"
		done
	fi
	wait "$child"
	sleep 1
	kill -INT "$pid"
	wait "$pid"
}

# counters OUTPREFIX: "sent received dropped ifdropped frames" from tcpreplay and the stats line.
counters() {
	local sent
	sent=$(grep -oE 'Actual: [0-9]+ packets' "$1.replay" | grep -oE '[0-9]+' | head -1)
	/usr/bin/python3 - "$1.json" "${sent:-0}" <<'EOF'
import json, sys
stats = None
for line in open(sys.argv[1]):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if o.get("kind") == "stats":
        stats = o
if stats is None:
    print(sys.argv[2], "? ? ? ?")
else:
    print(sys.argv[2], stats.get("pcap_received", "?"), stats.get("pcap_dropped", "?"),
          stats.get("pcap_ifdropped", "?"), stats.get("frames", "?"))
EOF
}

echo
echo "== ramp: $RAMP_SECS s per rate"
printf '%-8s %12s %12s %12s %12s %12s %10s\n' rate sent received kdropped ifdropped analysed pkt/s
best=
for r in $RATES; do
	run_capture "$RAMP_SECS" "$r" "$t/ramp" || exit 1
	read -r sent recv drop ifdrop frames <<<"$(counters "$t/ramp")"
	printf '%-8s %12s %12s %12s %12s %12s %10s\n' "$r" "$sent" "$recv" "$drop" "$ifdrop" "$frames" \
		"$((sent / RAMP_SECS))"
	if [ "$drop" = 0 ]; then best=$r; else
		echo "   kernel drops begin at $r (tcpreplay reached $((sent / RAMP_SECS)) packets/s)"
		break
	fi
done
[ -n "$best" ] || { echo "drops at every rate"; best=$(echo "$RATES" | awk '{print $1}'); }

echo
echo "== soak: $SOAK_SECS s at $best"
run_capture "$SOAK_SECS" "$best" "$t/soak" sample || exit 1
read -r sent recv drop ifdrop frames <<<"$(counters "$t/soak")"
echo "seconds  RSS-KB"
awk '{printf "%7d  %6d\n", $1, $2}' "$t/soak.rss"
echo "sent $sent, received $recv, kernel-dropped $drop, interface-dropped $ifdrop, analysed $frames" \
	"($((sent / SOAK_SECS)) packets/s)"
grep -c '"kind":"smtp_session"' "$t/soak.json" | sed 's/^/smtp session summaries: /'
awk -v s="$SAMPLE_SECS" 'NR == 1 { first = $2 } $1 >= 60 && !base { base = $2 } { last = $2; if ($2 > max) max = $2 }
	END { if (!base) base = first;
	      flat = (last <= base * 1.10 + 2048);
	      printf "%s  RSS flat: after 1 min %d KB, last %d KB, max %d KB\n", flat ? "PASS" : "MISS", base, last, max }' \
	"$t/soak.rss"
if [ "$drop" = 0 ]; then echo "PASS  no kernel drops at $best"; else echo "MISS  $drop kernel drops at $best"; fi
