#!/bin/bash
# test_smtp_real_peer.sh — mtadiag against a real SMTP exchange on the loopback interface:
# an aiosmtpd server, swaks sending one mail to two recipients, and a client that aborts in the
# middle of DATA with SO_LINGER 0 (RST).  Captured with tcpdump; the JSON must show the EHLO name,
# MAIL FROM, each RCPT with its 250, the body octets, the final 250, and for the aborted session
# smtpdiag.rst and smtpdiag.message_lost.
# Needs root (capture on lo) and the Debian packages python3-aiosmtpd, swaks, tcpdump.
set -u
bin=${MTADIAG:?MTADIAG not set}
src=${MTA_SRC:?MTA_SRC not set}

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to capture on lo"; exit 77; }
command -v tcpdump >/dev/null || { echo "SKIP: tcpdump missing (apt-get install tcpdump)"; exit 77; }
command -v swaks >/dev/null || { echo "SKIP: swaks missing (apt-get install swaks)"; exit 77; }
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null ||
	{ echo "SKIP: python3-aiosmtpd missing (apt-get install python3-aiosmtpd)"; exit 77; }
[ -x "$bin" ] || { echo "SKIP: $bin not built"; exit 77; }

tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# listening sockets only: a connect() probe would itself appear in the capture
port_free() {
	[ -z "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
}
command -v ss >/dev/null || { echo "SKIP: ss (iproute2) missing"; exit 77; }
port=2525
while ! port_free $port; do
	port=$((port + 1))
	[ $port -gt 2545 ] && { echo "SKIP: no free port in 2525-2545"; exit 77; }
done

timeout 60 tcpdump -i lo -U -n -s 0 -w "$tmp/cap.pcap" "tcp port $port" 2>"$tmp/tcpdump.err" &
pids+=($!)
for _ in $(seq 50); do grep -q "listening on" "$tmp/tcpdump.err" && break; sleep 0.1; done
grep -q "listening on" "$tmp/tcpdump.err" || { echo "FAIL: tcpdump did not start"; cat "$tmp/tcpdump.err"; exit 1; }

timeout 60 /usr/bin/python3 -m aiosmtpd -n -c aiosmtpd.handlers.Sink -l "127.0.0.1:$port" \
	>"$tmp/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do port_free $port || break; sleep 0.1; done
port_free $port && { echo "FAIL: aiosmtpd did not listen on $port"; cat "$tmp/server.log"; exit 1; }

# swaks sends the file, then CRLF "." CRLF; its last line therefore needs no CRLF of its own
body=$'Subject: mtadiag real peer test\r\n\r\nHello from swaks.\r\n.leading dot\r\nBye'
printf '%s' "$body" >"$tmp/body.eml"
if ! timeout 30 swaks --server 127.0.0.1 --port "$port" --ehlo client.example.org \
	--from alice@example.org --to bob@example.net,carol@example.net \
	--data "$tmp/body.eml" --timeout 10 >"$tmp/swaks.log" 2>&1; then
	echo "FAIL: swaks failed"; cat "$tmp/swaks.log"; exit 1
fi
if ! timeout 30 /usr/bin/python3 "$src/tests/tools/smtp_abort_client.py" 127.0.0.1 "$port" \
	>"$tmp/abort.log" 2>&1; then
	echo "FAIL: abort client failed"; cat "$tmp/abort.log"; exit 1
fi
sleep 1
kill -INT "${pids[0]}" 2>/dev/null
wait "${pids[0]}" 2>/dev/null

timeout 60 "$bin" -r "$tmp/cap.pcap" --json --smtp-ports "$port" >"$tmp/out.json" 2>"$tmp/out.err"
rc=$?
[ $rc = 0 ] || { echo "FAIL: mtadiag exit $rc"; cat "$tmp/out.err"; exit 1; }

# on the wire: the file, one octet of dot-stuffing, and the CRLF that ends the last line
body_octets=$(( $(stat -c %s "$tmp/body.eml") + 1 + 2 ))
/usr/bin/python3 - "$tmp/out.json" "$body_octets" <<'PY'
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
want_body = int(sys.argv[2])
sess = [o for o in objs if o.get("kind") == "smtp_session"]
finds = [o for o in objs if o.get("kind") == "finding"]
fail = []
if len(sess) != 2:
    fail.append("expected 2 SMTP sessions, got %d" % len(sess))
swaks = [s for s in sess if s.get("helo_name") == "client.example.org"]
abort = [s for s in sess if s.get("helo_name") == "abort.example.org"]
if len(swaks) != 1 or len(abort) != 1:
    fail.append("sessions by EHLO name: swaks %d, abort %d" % (len(swaks), len(abort)))
else:
    s = swaks[0]
    t = s["transactions"]
    if len(t) != 1:
        fail.append("swaks: %d transactions" % len(t))
    else:
        t = t[0]
        if t["mail_from"] != "alice@example.org" or t["mail_code"] != 250:
            fail.append("swaks: MAIL %r %r" % (t["mail_from"], t["mail_code"]))
        rc = [(r["to"], r["code"]) for r in t["rcpt"]]
        if rc != [("bob@example.net", 250), ("carol@example.net", 250)]:
            fail.append("swaks: RCPT %r" % rc)
        if t["body_octets"] != want_body:
            fail.append("swaks: body_octets %r, want %d" % (t["body_octets"], want_body))
        if not t["final_reply"] or t["final_reply"]["code"] != 250 or t["outcome"] != "accepted":
            fail.append("swaks: final %r outcome %r" % (t["final_reply"], t["outcome"]))
    if s["end"]["how"] != "quit":
        fail.append("swaks: end %r" % s["end"])
    # A loaded test machine can make the loopback stack retransmit (an RTO fires before the
    # ACK is sent); that is true TCP behaviour, not an SMTP fault, so it is tolerated here.
    bad = [f for f in finds if f["conn"]["client"] == s["client"] and f["severity"] != "chat"
           and f["code"] != "smtpdiag.retransmission"]
    if bad:
        fail.append("swaks session has findings: %r" % [(f["code"], f["message"]) for f in bad])
    a = abort[0]
    codes = sorted(f["code"] for f in finds if f["conn"]["client"] == a["client"])
    for c in ("smtpdiag.rst", "smtpdiag.message_lost"):
        if c not in codes:
            fail.append("abort session lacks %s (has %r)" % (c, codes))
    lost = [f for f in finds if f["code"] == "smtpdiag.message_lost"]
    if lost and lost[0]["detail"]["mail_from"] != "abort@example.org":
        fail.append("message_lost detail %r" % lost[0]["detail"])
    rst = [f for f in finds if f["code"] == "smtpdiag.rst"]
    if rst and (rst[0]["severity"] != "error" or rst[0]["dir"] != "c2s"):
        fail.append("rst finding %r" % rst[0])
for f in fail:
    print("FAIL:", f)
if not fail:
    print("PASS: real peer: swaks session summarised, aborted session gives rst + message_lost")
sys.exit(1 if fail else 0)
PY
