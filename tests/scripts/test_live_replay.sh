#!/bin/bash
# test_live_replay.sh — the scenario captures of pcaps/smtp and pcaps/osi replayed with tcpreplay
# onto a veth in one network namespace while mtadiag -i captures on the peer in another.
# The veth pair carries nothing else (IPv6 off, no addresses used), and -f tcp keeps out
# anything stray, so the live capture holds exactly the replayed frames and the live frame
# numbers are the capture's own.  For each capture:
#   * mtadiag stops by itself after -c FRAMES with exit 0 and libpcap dropped nothing;
#   * the live findings equal those of mtadiag -r on the original capture (code, severity,
#     frame, related frame, direction, connection), leaving out the codes that depend on the
#     packets' timing, which a replay at top speed changes (smtpdiag.stall);
#   * the live output equals the offline analysis of its own -w file, record for record.
# The real captures of ../shared/pcaps/external (Ethernet ones) are replayed too when present,
# and a VLAN-tagged capture through the built-in filter.
# By default a fixed selection covering most finding codes is replayed; MTA_LIVE_ALL=1 replays
# every capture.  Needs root, iproute2 and tcpreplay; skipped (77) otherwise.
set -u
src=${MTA_SRC:?MTA_SRC not set}
. "$src/tests/tools/live_netns.sh"
live_require
command -v tcpreplay >/dev/null || live_skip "tcpreplay missing (tools/install-deps.sh installs it)"
command -v capinfos >/dev/null || live_skip "capinfos (wireshark-common / tshark) missing"
trap live_cleanup EXIT
LIVE_TMP=$(mktemp -d)
t=$LIVE_TMP
live_netns_up || { echo "FAIL: cannot build the namespaces"; exit 1; }

# Codes decided by elapsed time between packets.
timing_codes=(smtpdiag.stall)

if [ "${MTA_LIVE_ALL:-0}" = 1 ]; then
	caps=("$src"/pcaps/smtp/*.pcap "$src"/pcaps/osi/*.pcap)
else
	caps=()
	for n in smtp/seed000-rst-during-data smtp/seed002-data-after-close smtp/tcp-gap \
		smtp/zero-window smtp/retransmission smtp/missing-psh-command smtp/reply-errors \
		smtp/pipelining-unadvertised smtp/protocol-violations smtp/starttls smtp/bdat-chunking \
		smtp/ipv6-auth-plain smtp/abrupt-close-server-fin smtp/ooo-filled smtp/midstream-start \
		smtp/seed001-stall-missing-psh osi/clean_rts_transfer osi/c2_abrupt_end \
		osi/c3_recovery_failure osi/a1_mia_not_outstanding osi/a2_mia_wrong_side \
		osi/j1_major_serial osi/exception_report_after_bad_mip osi/not_session_s7comm; do
		[ -f "$src/pcaps/$n.pcap" ] && caps+=("$src/pcaps/$n.pcap")
	done
fi
[ ${#caps[@]} -gt 0 ] || live_skip "no scenario captures under pcaps/"

fails=0
passes=0
# replay_one CAPTURE NAME [FILTER OPTIONS]
replay_one() {
	local cap=$1 name=$2 frames pid rc why out
	shift 2
	frames=$(capinfos -M -c -T -r "$cap" 2>/dev/null | cut -f2)
	case $frames in '' | *[!0-9]*) echo "FAIL $name: capinfos"; fails=$((fails + 1)); return ;; esac
	timeout 60 "$MTADIAG" -r "$cap" --json >"$t/orig.json" 2>/dev/null
	# Removed first: a "listening on" line left from the previous capture must not be read as
	# this one's.
	rm -f "$t/live.pcap" "$t/live.err" "$t/live.json"
	ip netns exec "$NS_B" timeout 30 "$MTADIAG" -i "$VETH_B" "$@" -c "$frames" --json \
		-w "$t/live.pcap" >"$t/live.json" 2>"$t/live.err" &
	pid=$!
	if ! live_wait_listening "$t/live.err" $pid; then
		fails=$((fails + 1))
		kill $pid 2>/dev/null
		wait $pid 2>/dev/null
		return
	fi
	if ! ip netns exec "$NS_A" timeout 30 tcpreplay -q -i "$VETH_A" --topspeed "$cap" \
		>"$t/replay.log" 2>&1; then
		echo "FAIL $name: tcpreplay"; cat "$t/replay.log"
		kill -INT $pid 2>/dev/null
	fi
	wait $pid
	rc=$?
	why=
	if [ $rc != 0 ]; then
		why="mtadiag exit $rc: $(cat "$t/live.err")"
	elif [ "$(tail -1 "$t/live.json" | /usr/bin/python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["frames"], s["pcap_dropped"])')" != "$frames 0" ]; then
		why="frames/drops: $(tail -1 "$t/live.json")"
	elif ! out=$(/usr/bin/python3 "$src/tests/tools/live_compare.py" findings "$t/live.json" \
		"$t/orig.json" --ignore "${timing_codes[@]}"); then
		why="live findings differ from the original's: $out"
	elif ! timeout 60 "$MTADIAG" -r "$t/live.pcap" --json >"$t/off.json" 2>&1; then
		why="offline analysis of the -w file failed"
	elif ! out=$(/usr/bin/python3 "$src/tests/tools/live_compare.py" same "$t/live.json" \
		"$t/off.json"); then
		why="live output differs from the -w file's offline analysis: $out"
	fi
	if [ -n "$why" ]; then
		echo "FAIL $name: $why"
		fails=$((fails + 1))
	else
		echo "ok   $name ($frames frames, $(grep -c '"kind":"finding"' "$t/live.json") findings)"
		passes=$((passes + 1))
	fi
}

for cap in "${caps[@]}"; do
	replay_one "$cap" "${cap#"$src"/pcaps/}" -f tcp
done
# Real captures beside the repository (never copied into it), Ethernet ones: they hold other
# traffic too (ARP, GOOSE, DNS ...), so nothing is filtered out (-f '').  Nothing in the
# namespace answers it: the addresses are not its own and it forwards nothing.
ext=${MTA_EXTERNAL_PCAPS:-$src/../shared/pcaps/external}
[ -d "$ext" ] || ext=$src/../../shared/pcaps/external
if [ -d "$ext" ]; then
	for cap in "$ext"/*.pcap "$ext"/*.pcapng; do
		[ -f "$cap" ] || continue
		[ "$(capinfos -M -E -T -r "$cap" 2>/dev/null | cut -f2)" = ether ] || continue
		replay_one "$cap" "external/${cap##*/}" -f ''
	done
else
	echo "note: $ext absent, external captures not replayed"
fi
# VLAN-tagged frames (802.1Q, tag 7) pass the built-in filter, whose VLAN part the kernel
# evaluates on the tag it took out of the frame.
if /usr/bin/python3 "$src/tests/tools/gen_reasm_captures.py" "$t/gen" >/dev/null 2>&1 &&
	[ -f "$t/gen/reasm-vlan_two_conns.pcap" ]; then
	replay_one "$t/gen/reasm-vlan_two_conns.pcap" "vlan_two_conns (built-in filter)"
else
	echo "FAIL: gen_reasm_captures.py did not write reasm-vlan_two_conns.pcap"
	fails=$((fails + 1))
fi
echo "$passes passed, $fails failed"
[ $fails = 0 ]
