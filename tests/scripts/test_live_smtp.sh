#!/bin/bash
# test_live_smtp.sh — mtadiag -i on a veth between two network namespaces, watching a real SMTP
# exchange: an aiosmtpd server on port 25 in one namespace, swaks (one mail, two recipients)
# and a client that aborts in the middle of DATA (RST) in the other.  mtadiag runs in the
# server's namespace with the default capture filter, --json and -w; SIGINT ends it.
# SIGINT comes as soon as the clients are done, so the packets still in the kernel's buffer
# must be read before the capture ends.
# Checks: exit 0; the swaks session summary (EHLO name, MAIL FROM, each RCPT with 250, final
# 250, QUIT) and the aborted one (rst, message_lost) are in the live output; the live output
# equals the offline analysis of the -w file record for record (stats but for libpcap's
# counters), and so does the --html page written at exit.  A second capture on the "any" device (Linux cooked headers) summarises the same
# two sessions.
# Needs root, iproute2, swaks and python3-aiosmtpd; skipped (77) otherwise.
set -u
src=${MTA_SRC:?MTA_SRC not set}
. "$src/tests/tools/live_netns.sh"
live_require
command -v swaks >/dev/null || live_skip "swaks missing (apt-get install swaks)"
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null ||
	live_skip "python3-aiosmtpd missing (apt-get install python3-aiosmtpd)"
trap live_cleanup EXIT
LIVE_TMP=$(mktemp -d)
t=$LIVE_TMP
live_netns_up || { echo "FAIL: cannot build the namespaces"; exit 1; }

ip netns exec "$NS_B" timeout 60 /usr/bin/python3 -m aiosmtpd -n -c aiosmtpd.handlers.Sink \
	-l "$ADDR_B:25" >"$t/server.log" 2>&1 &
live_bg $!
live_wait_port "$NS_B" 25 || { cat "$t/server.log"; exit 1; }

ip netns exec "$NS_B" timeout 60 "$MTADIAG" -i "$VETH_B" --json -w "$t/live.pcap" \
	--html "$t/live.html" >"$t/live.json" 2>"$t/live.err" &
cap=$!
live_bg $cap
live_wait_listening "$t/live.err" $cap || exit 1
# The same exchange seen through the "any" device (Linux cooked headers, no VLAN filter part).
ip netns exec "$NS_B" timeout 60 "$MTADIAG" -i any --json >"$t/any.json" 2>"$t/any.err" &
anycap=$!
live_bg $anycap
live_wait_listening "$t/any.err" $anycap || exit 1

body=$'Subject: mtadiag live test\r\n\r\nHello from swaks.\r\nBye'
printf '%s' "$body" >"$t/body.eml"
if ! ip netns exec "$NS_A" timeout 30 swaks --server "$ADDR_B" --port 25 \
	--ehlo client.example.org --from alice@example.org --to bob@example.net,carol@example.net \
	--data "$t/body.eml" --timeout 10 >"$t/swaks.log" 2>&1; then
	echo "FAIL: swaks failed"; cat "$t/swaks.log"; exit 1
fi
if ! ip netns exec "$NS_A" timeout 30 /usr/bin/python3 "$src/tests/tools/smtp_abort_client.py" \
	"$ADDR_B" 25 >"$t/abort.log" 2>&1; then
	echo "FAIL: abort client failed"; cat "$t/abort.log"; exit 1
fi
# No pause: SIGINT right after the clients finish.  The packets still in libpcap's buffer
# (a block not yet handed over) must be read before the capture ends.
kill -INT $cap
wait $cap
rc=$?
kill -INT $anycap
wait $anycap
rcany=$?
cat "$t/live.err" "$t/any.err"
[ $rcany = 0 ] || { echo "FAIL: mtadiag -i any exit $rcany"; exit 1; }
grep -q 'link-type LINUX_SLL' "$t/any.err" && ! grep -q 'vlan' "$t/any.err" ||
	{ echo "FAIL: -i any: not Linux cooked, or a VLAN filter part"; exit 1; }
[ "$(grep -c '"helo_name":"\(client\|abort\).example.org"' "$t/any.json")" = 2 ] ||
	{ echo "FAIL: -i any: the two sessions not summarised"; cat "$t/any.json"; exit 1; }
[ $rc = 0 ] || { echo "FAIL: mtadiag -i exit $rc"; exit 1; }
grep -q "stopped by signal 2" "$t/live.err" || { echo "FAIL: no stop message"; exit 1; }

/usr/bin/python3 - "$t/live.json" <<'PY' || exit 1
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
sess = {o.get("helo_name"): o for o in objs if o.get("kind") == "smtp_session"}
finds = [o for o in objs if o.get("kind") == "finding"]
fail = []
s = sess.get("client.example.org")
if not s:
    fail.append("no session with EHLO client.example.org: %r" % list(sess))
else:
    t = s["transactions"]
    if len(t) != 1:
        fail.append("swaks: %d transactions" % len(t))
    else:
        t = t[0]
        if (t["mail_from"], t["mail_code"]) != ("alice@example.org", 250):
            fail.append("swaks: MAIL %r %r" % (t["mail_from"], t["mail_code"]))
        rc = [(r["to"], r["code"]) for r in t["rcpt"]]
        if rc != [("bob@example.net", 250), ("carol@example.net", 250)]:
            fail.append("swaks: RCPT %r" % rc)
        if not t["final_reply"] or t["final_reply"]["code"] != 250:
            fail.append("swaks: final reply %r" % t["final_reply"])
    if s["end"]["how"] != "quit":
        fail.append("swaks: end %r" % s["end"])
    if s["greeting"]["code"] != 220:
        fail.append("swaks: greeting %r" % s["greeting"])
a = sess.get("abort.example.org")
if not a:
    fail.append("no aborted session")
else:
    codes = {f["code"] for f in finds if f["conn"]["client"] == a["client"]}
    for c in ("smtpdiag.rst", "smtpdiag.message_lost"):
        if c not in codes:
            fail.append("aborted session lacks %s (has %r)" % (c, sorted(codes)))
st = objs[-1]
if st.get("kind") != "stats" or st.get("smtp_sessions") != 2:
    fail.append("last record %r" % st)
elif not st.get("pcap_received", 0) >= st["frames"] > 0 or st.get("pcap_dropped") != 0:
    fail.append("pcap counters %r" % {k: st.get(k) for k in ("frames", "pcap_received", "pcap_dropped")})
for f in fail:
    print("FAIL:", f)
sys.exit(1 if fail else 0)
PY

# The -w file analysed offline gives the same findings, summaries and statistics.
timeout 60 "$MTADIAG" -r "$t/live.pcap" --json >"$t/offline.json" 2>"$t/offline.err" ||
	{ echo "FAIL: offline analysis of the -w file"; cat "$t/offline.err"; exit 1; }
/usr/bin/python3 "$src/tests/tools/live_compare.py" same "$t/live.json" "$t/offline.json" ||
	{ echo "FAIL: live and offline outputs differ"; exit 1; }
# The HTML report written at exit holds the same sessions, findings and ladder events as the
# report of the -w file made offline.
timeout 60 "$MTADIAG" -r "$t/live.pcap" -q --html "$t/offline.html" >/dev/null 2>&1 ||
	{ echo "FAIL: offline --html of the -w file"; exit 1; }
/usr/bin/python3 - "$t/live.html" "$t/offline.html" <<'PY' ||
import json, re, sys
def data(p):
    m = re.search(r'<script type="application/json" id="mtadiag-data">(.*?)</script>', open(p).read(), re.S)
    return json.loads(m.group(1))
live, off = data(sys.argv[1]), data(sys.argv[2])
helo = sorted(c["sum"].get("helo_name") for c in live["conns"])
ok = helo == ["abort.example.org", "client.example.org"] and \
    [(c["first"], c["ev"]) for c in live["conns"]] == [(c["first"], c["ev"]) for c in off["conns"]] and \
    live["findings"] == off["findings"] and any(e[4] == "RST" for c in live["conns"] for e in c["ev"])
print("live --html: %d sessions %s, %d findings" % (len(live["conns"]), helo, len(live["findings"])))
sys.exit(0 if ok else 1)
PY
	{ echo "FAIL: live --html differs from the offline report"; exit 1; }
echo "PASS: live SMTP on a veth: summaries as expected, -w file analysed offline gives the same"
