#!/bin/bash
# test_live_rotate.sh — the -w file of mtadiag -i: size rotation (-C, -W) and SIGHUP.
#   * -C 1 with about 3.5 MB of traffic: files FILE, FILE1, FILE2 ... (tcpdump's names), each
#     at most 1,000,000 octets and a valid pcap, together holding every captured frame;
#   * -C 1 -W 2 with the same traffic: only FILE0 and FILE1 (the ring wraps);
#   * SIGHUP after the -w file and the --output file were moved away: both are created again
#     under their names; the old and new pcap files together hold every frame, the old report
#     file holds what was printed before, the new one the rest (the stats object last; the
#     summaries come at the end too, as the engine keeps a closed connection 10 s of capture time).
#   * SIGHUP with standard output appended to a file (>>): the file is opened again under the
#     name it had at start.
#   * SIGHUP without moving anything appends to the same files (nothing lost, nothing
#     truncated).
# The veth passes TCP segments of up to 64 KiB (segmentation offload), so the captures use -B
# 32768: libpcap's default 2 MiB buffer drops some of them at top speed.
# Needs root, iproute2 and capinfos; skipped (77) otherwise.
set -u
src=${MTA_SRC:?MTA_SRC not set}
. "$src/tests/tools/live_netns.sh"
live_require
command -v capinfos >/dev/null || live_skip "capinfos (wireshark-common / tshark) missing"
trap live_cleanup EXIT
LIVE_TMP=$(mktemp -d)
t=$LIVE_TMP
peer=$src/tests/tools/live_peer.py
live_netns_up || { echo "FAIL: cannot build the namespaces"; exit 1; }
fail=0
check() { # check NAME COMMAND...
	if "${@:2}"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi
}
count() { capinfos -M -c -T -r "$1" 2>/dev/null | cut -f2; }
stat_frames() { tail -1 "$1" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["frames"])'; }

ip netns exec "$NS_B" timeout 60 /usr/bin/python3 "$peer" sink "$ADDR_B" 25 50 >"$t/sink.log" 2>&1 &
live_bg $!
live_wait_port "$NS_B" 25 || exit 1

# start_cap NAME ARGS...: mtadiag -i on the veth, output in $t/NAME.json / .err; sets $cap.
start_cap() {
	local n=$1
	shift
	ip netns exec "$NS_B" timeout 60 "$MTADIAG" -i "$VETH_B" --json "$@" \
		>"$t/$n.json" 2>"$t/$n.err" &
	cap=$!
	live_bg $cap
	live_wait_listening "$t/$n.err" $cap
}
stop_cap() {
	sleep 0.3
	kill -INT $cap
	wait $cap
}
bulk() {
	ip netns exec "$NS_A" timeout 30 /usr/bin/python3 "$peer" bulk "$ADDR_B" 25 "$1" ||
		{ echo "FAIL: bulk transfer"; fail=1; }
}

# --- -C 1 -----------------------------------------------------------------------------------
mkdir "$t/c"
start_cap c -B 32768 -w "$t/c/cap.pcap" -C 1 || exit 1
bulk 3500000
stop_cap
check "-C: exit 0" [ $? = 0 ]
files=$(cd "$t/c" && ls | sort -V | tr '\n' ' ')
echo "-C 1 files: $files"
total=0
ok_sizes=1
for f in "$t"/c/*; do
	n=$(count "$f")
	[ -n "$n" ] || { echo "not a capture: $f"; ok_sizes=0; continue; }
	total=$((total + n))
	[ "$(stat -c %s "$f")" -le 1000000 ] || { echo "too big: $f $(stat -c %s "$f")"; ok_sizes=0; }
done
check "-C: at least three files named cap.pcap, cap.pcap1, cap.pcap2 ..." \
	bash -c "[[ '$files' =~ ^cap\.pcap\ cap\.pcap1\ cap\.pcap2\  ]]"
check "-C: every file a pcap of at most 1,000,000 octets" [ $ok_sizes = 1 ]
check "-C: the files hold every frame ($total)" [ "$total" = "$(stat_frames "$t/c.json")" ]
check "-C: -B 32768: libpcap dropped nothing" grep -q '"pcap_dropped":0,' "$t/c.json"

# --- -C 1 -W 2 ------------------------------------------------------------------------------
mkdir "$t/w"
start_cap w -B 32768 -w "$t/w/cap.pcap" -C 1 -W 2 || exit 1
bulk 3500000
stop_cap
check "-W: exit 0" [ $? = 0 ]
files=$(cd "$t/w" && ls | sort | tr '\n' ' ')
echo "-C 1 -W 2 files: $files"
check "-W 2: exactly cap.pcap0 and cap.pcap1" [ "$files" = "cap.pcap0 cap.pcap1 " ]
echo "-W 2: $(count "$t/w/cap.pcap0") + $(count "$t/w/cap.pcap1") frames in the files, $(stat_frames "$t/w.json") captured"
check "-W 2: files hold fewer frames than captured (the ring overwrote)" \
	[ $(($(count "$t/w/cap.pcap0") + $(count "$t/w/cap.pcap1"))) -lt "$(stat_frames "$t/w.json")" ]

# --- SIGHUP after moving the files away ----------------------------------------------------
mkdir "$t/h"
start_cap h -w "$t/h/cap.pcap" --output "$t/h/report.jsonl" || exit 1
bulk 100000
sleep 0.5
mv "$t/h/cap.pcap" "$t/h/cap.pcap.old"
mv "$t/h/report.jsonl" "$t/h/report.jsonl.old"
kill -HUP $cap
sleep 0.3
bulk 100000
stop_cap
check "HUP: exit 0" [ $? = 0 ]
check "HUP: new pcap created" [ -s "$t/h/cap.pcap" ]
check "HUP: new report created" [ -s "$t/h/report.jsonl" ]
check "HUP: nothing on stdout with --output" [ ! -s "$t/h.json" ]
old=$(count "$t/h/cap.pcap.old")
new=$(count "$t/h/cap.pcap")
echo "HUP: $old frames before, $new after"
check "HUP: both files non-empty" [ "${old:-0}" -gt 0 -a "${new:-0}" -gt 0 ]
check "HUP: together every frame" [ $((old + new)) = "$(stat_frames "$t/h/report.jsonl")" ]
check "HUP: the stats object is in the new report only, last" \
	bash -c "! grep -q '\"kind\":\"stats\"' '$t/h/report.jsonl.old' &&
		tail -1 '$t/h/report.jsonl' | grep -q '^{\"kind\":\"stats\"'"
check "HUP: the old report holds what came before (findings of the first transfer)" \
	[ -s "$t/h/report.jsonl.old" ]
check "HUP: the reports hold two sessions in all" \
	[ "$(cat "$t/h/report.jsonl.old" "$t/h/report.jsonl" | grep -c '"kind":"smtp_session"')" = 2 ]

# --- SIGHUP with standard output appended to a file (as systemd's StandardOutput=append:) ---
mkdir "$t/s"
ip netns exec "$NS_B" timeout 60 "$MTADIAG" -i "$VETH_B" --json >>"$t/s/findings.jsonl" \
	2>"$t/s.err" &
cap=$!
live_bg $cap
live_wait_listening "$t/s.err" $cap || exit 1
bulk 100000
sleep 0.5
mv "$t/s/findings.jsonl" "$t/s/findings.jsonl.1"
kill -HUP $cap
sleep 0.3
bulk 100000
stop_cap
check "HUP stdout: exit 0" [ $? = 0 ]
check "HUP stdout: the file is created again" [ -s "$t/s/findings.jsonl" ]
check "HUP stdout: the stats object went to the new file" \
	bash -c "tail -1 '$t/s/findings.jsonl' | grep -q '^{\"kind\":\"stats\"' &&
		! grep -q '\"kind\":\"stats\"' '$t/s/findings.jsonl.1'"
check "HUP stdout: the moved file keeps what came before" [ -s "$t/s/findings.jsonl.1" ]

# --- SIGHUP without moving: append ----------------------------------------------------------
mkdir "$t/a"
start_cap a -w "$t/a/cap.pcap" --output "$t/a/report.jsonl" || exit 1
bulk 100000
sleep 0.5
kill -HUP $cap
sleep 0.3
bulk 100000
stop_cap
check "HUP in place: exit 0" [ $? = 0 ]
check "HUP in place: one file holds every frame" \
	[ "$(count "$t/a/cap.pcap")" = "$(stat_frames "$t/a/report.jsonl")" ]
check "HUP in place: report holds both sessions" \
	[ "$(grep -c '"kind":"smtp_session"' "$t/a/report.jsonl")" = 2 ]
check "HUP in place: the offline analysis of the file gives the same" \
	bash -c "'$MTADIAG' -r '$t/a/cap.pcap' --json >'$t/a/off.json' &&
		/usr/bin/python3 '$src/tests/tools/live_compare.py' same '$t/a/report.jsonl' '$t/a/off.json'"
[ $fail = 0 ] && echo "PASS: -C/-W rotation and SIGHUP reopening"
exit $fail
