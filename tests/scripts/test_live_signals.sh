#!/bin/bash
# test_live_signals.sh — timers and signals of mtadiag -i, on a veth between two namespaces.
# A server sends its greeting and then never answers; a client sends EHLO and keeps the
# connection open.  Two captures run side by side on the server's veth:
#   * --json --stall 1 --fail-on warning: the stall finding must be printed while the capture
#     is still running and no packet arrives (the engine's timer, not a packet, decides it);
#     SIGTERM then ends it with exit 1 (a warning was reported), the session summarised as
#     ended by the end of the capture, and a stats object with libpcap's counters;
#   * the text report (-q): SIGINT mid-connection gives exit 0, the session block and the
#     "capture:" line with the counters.
# Needs root and iproute2; skipped (77) otherwise.
set -u
src=${MTA_SRC:?MTA_SRC not set}
. "$src/tests/tools/live_netns.sh"
live_require
trap live_cleanup EXIT
LIVE_TMP=$(mktemp -d)
t=$LIVE_TMP
peer=$src/tests/tools/live_peer.py
live_netns_up || { echo "FAIL: cannot build the namespaces"; exit 1; }

ip netns exec "$NS_B" timeout 30 /usr/bin/python3 "$peer" silent-server "$ADDR_B" 25 25 \
	>"$t/server.log" 2>&1 &
live_bg $!
live_wait_port "$NS_B" 25 || exit 1

ip netns exec "$NS_B" timeout 60 "$MTADIAG" -i "$VETH_B" --json --stall 1 --fail-on warning \
	>"$t/j.json" 2>"$t/j.err" &
capj=$!
live_bg $capj
ip netns exec "$NS_B" timeout 60 "$MTADIAG" -i "$VETH_B" -q --immediate >"$t/t.txt" 2>"$t/t.err" &
capt=$!
live_bg $capt
live_wait_listening "$t/j.err" $capj || exit 1
live_wait_listening "$t/t.err" $capt || exit 1

ip netns exec "$NS_A" timeout 30 /usr/bin/python3 "$peer" hanging-client "$ADDR_B" 25 20 \
	>"$t/client.log" 2>&1 &
client=$!
live_bg $client

# The stall: EHLO unanswered for 1 s; the timer runs once a second, 0.25 s behind the clock.
found=0
for _ in $(seq 100); do
	grep -q '"code":"smtpdiag.stall"' "$t/j.json" && { found=1; break; }
	sleep 0.1
done
kill -0 $capj 2>/dev/null || { echo "FAIL: the JSON capture ended early"; cat "$t/j.err"; exit 1; }
[ $found = 1 ] || { echo "FAIL: no stall finding within 10 s of live capture"; cat "$t/j.json"; exit 1; }
echo "stall printed during the capture: $(grep '"code":"smtpdiag.stall"' "$t/j.json")"

kill -TERM $capj
wait $capj
rcj=$?
kill -INT $capt
wait $capt
rct=$?
cat "$t/j.err" "$t/t.err"

fail=0
[ $rcj = 1 ] || { echo "FAIL: --fail-on warning after a stall: exit $rcj, want 1"; fail=1; }
[ $rct = 0 ] || { echo "FAIL: text capture: exit $rct, want 0"; fail=1; }
grep -q "stopped by signal 15" "$t/j.err" || { echo "FAIL: SIGTERM not reported"; fail=1; }
/usr/bin/python3 - "$t/j.json" <<'PY' || fail=1
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
fail = []
sess = [o for o in objs if o["kind"] == "smtp_session"]
stall = [o for o in objs if o.get("code") == "smtpdiag.stall"]
if len(sess) != 1:
    fail.append("%d sessions" % len(sess))
else:
    s = sess[0]
    if s.get("helo_name") != "hanging.example.org" or s["end"]["how"] != "capture_end":
        fail.append("session %r / end %r" % (s.get("helo_name"), s["end"]))
    if stall and not (s["first_frame"] <= stall[0]["related_frame"] < stall[0]["frame"] <= s["last_frame"]):
        fail.append("stall frames %r outside the session %r..%r"
                    % ((stall[0]["related_frame"], stall[0]["frame"]), s["first_frame"], s["last_frame"]))
if len(stall) != 1:
    fail.append("%d stall findings, want 1" % len(stall))
st = objs[-1]
if st["kind"] != "stats":
    fail.append("last record is %r" % st["kind"])
else:
    for k in ("pcap_received", "pcap_dropped", "pcap_ifdropped"):
        if not isinstance(st.get(k), int):
            fail.append("stats lack %s" % k)
    if not st.get("pcap_received", 0) >= st["frames"] > 0:
        fail.append("pcap_received %r < frames %r" % (st.get("pcap_received"), st["frames"]))
for f in fail:
    print("FAIL:", f)
sys.exit(1 if fail else 0)
PY
grep -q "^SMTP session $ADDR_A:[0-9]* -> $ADDR_B:25, frames 1-" "$t/t.txt" ||
	{ echo "FAIL: no session block in the text report"; fail=1; }
grep -qE "^capture: [1-9][0-9]* packets received by the filter, 0 dropped by the kernel, [0-9]+ dropped by the interface$" "$t/t.txt" ||
	{ echo "FAIL: no capture counters line in the text report"; cat "$t/t.txt"; fail=1; }
grep -q "hanging.example.org" "$t/t.txt" || { echo "FAIL: text block lacks the EHLO name"; fail=1; }
grep -q "smtpdiag.stall" "$t/t.txt" && { echo "FAIL: -q printed a finding line"; fail=1; }
[ $fail = 0 ] && echo "PASS: stall from the timer, SIGTERM/SIGINT summaries and counters"
exit $fail
