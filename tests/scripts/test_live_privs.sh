#!/bin/bash
# test_live_privs.sh — who mtadiag -i runs as.
#   * root with -Z nobody: while capturing, /proc/PID/status shows nobody's user and group IDs
#     (real, effective, saved, filesystem), no capability in any set, no_new_privs; the -w
#     file (opened as root in a root-only directory) is written and the session diagnosed.
#   * -Z with an unknown user: exit 2, one line on stderr.
#   * nobody without capabilities: -i lo gives exit 2 and one stderr line about permission.
#   * nobody with ambient capabilities CAP_NET_RAW and CAP_NET_ADMIN (what the systemd unit
#     hands over) and -Z nobody: captures, then holds no capability.
#   * nobody running a copy of the binary with file capabilities cap_net_raw,cap_net_admin=eip:
#     the capture works; once capturing, the process holds no capability any more; -Z to
#     another user is refused (exit 2), -Z nobody (itself) is accepted.
# All traffic stays inside network namespaces created here.  Needs root, iproute2, setpriv
# and setcap; skipped (77) otherwise.
set -u
src=${MTA_SRC:?MTA_SRC not set}
. "$src/tests/tools/live_netns.sh"
live_require
command -v setpriv >/dev/null || live_skip "setpriv (util-linux) missing"
command -v setcap >/dev/null || live_skip "setcap (libcap2-bin) missing"
nobody_uid=$(id -u nobody 2>/dev/null) || live_skip "no user nobody"
nobody_gid=$(id -g nobody)
trap live_cleanup EXIT
LIVE_TMP=$(mktemp -d)
t=$LIVE_TMP
chmod 755 "$t"
peer=$src/tests/tools/live_peer.py
live_netns_up || { echo "FAIL: cannot build the namespaces"; exit 1; }
as_nobody=(setpriv --reuid="$nobody_uid" --regid="$nobody_gid" --clear-groups)
fail=0
check() { # check NAME COMMAND...
	if "${@:2}"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi
}

# status_of PID FIELD: the values of a /proc/PID/status line, tab-separated.
status_of() {
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr -s ' \t' '\t'
}
ids4() { printf '%s\t%s\t%s\t%s' "$1" "$1" "$1" "$1"; }

ip netns exec "$NS_B" timeout 40 /usr/bin/python3 "$peer" smtp-server "$ADDR_B" 25 35 \
	>"$t/server.log" 2>&1 &
live_bg $!
live_wait_port "$NS_B" 25 || exit 1

# --- root, -Z nobody ------------------------------------------------------------------------
mkdir -m 700 "$t/rootonly"
ip netns exec "$NS_B" env MTADIAG_REPORT_PARSE_IDS=1 timeout 30 "$MTADIAG" -i "$VETH_B" -Z nobody \
	--json -w "$t/rootonly/z.pcap" >"$t/z.json" 2>"$t/z.err" &
tpid=$!
live_bg $tpid
live_wait_listening "$t/z.err" $tpid || exit 1
pid=$(live_child $tpid) || { echo "FAIL: no mtadiag process"; exit 1; }
ip netns exec "$NS_A" timeout 20 /usr/bin/python3 "$peer" session "$ADDR_B" 25 ||
	{ echo "FAIL: SMTP session failed"; fail=1; }
echo "while capturing: $(grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapAmb|NoNewPrivs):' /proc/$pid/status | tr '\n\t' '  ')"
check "-Z nobody: Uid line" [ "$(status_of $pid Uid)" = "$(ids4 $nobody_uid)" ]
check "-Z nobody: Gid line" [ "$(status_of $pid Gid)" = "$(ids4 $nobody_gid)" ]
check "-Z nobody: no group 0" bash -c "! grep -qE '^Groups:(.*[[:space:]])?0([[:space:]]|\$)' /proc/$pid/status"
for c in CapInh CapPrm CapEff CapAmb; do
	check "-Z nobody: $c empty" [ "$(status_of $pid $c)" = 0000000000000000 ]
done
check "-Z nobody: NoNewPrivs" [ "$(status_of $pid NoNewPrivs)" = 1 ]
check "-Z nobody: says so" grep -q "as user nobody" "$t/z.err"
# The packet callback itself reports who parses the first frame (MTADIAG_REPORT_PARSE_IDS).
sleep 0.3
grep "parsing frame 1" "$t/z.err"
check "-Z nobody: the first frame is parsed as nobody with no capability" \
	grep -q "parsing frame 1 as uid $nobody_uid/$nobody_uid/$nobody_uid gid $nobody_gid/$nobody_gid/$nobody_gid, effective capabilities 0000000000000000" "$t/z.err"
sleep 0.3
kill -INT $tpid
wait $tpid
rc=$?
check "-Z nobody: exit 0" [ $rc = 0 ]
check "-Z nobody: session diagnosed" grep -q '"helo_name":"peer.example.org"' "$t/z.json"
frames=$(tail -1 "$t/z.json" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["frames"])')
check "-Z nobody: -w file holds every frame" \
	[ "$(capinfos -M -c -T -r "$t/rootonly/z.pcap" 2>/dev/null | cut -f2)" = "$frames" ]

# --- -Z unknown user ------------------------------------------------------------------------
ip netns exec "$NS_B" timeout 10 "$MTADIAG" -i "$VETH_B" -Z no-such-user-mtadiag >/dev/null 2>"$t/u.err"
rc=$?
check "-Z unknown user: exit 2" [ $rc = 2 ]
check "-Z unknown user: one stderr line" [ "$(wc -l <"$t/u.err")" = 1 ]
check "-Z unknown user: names the user" grep -q "no-such-user-mtadiag" "$t/u.err"
cat "$t/u.err"

# --- nobody without capabilities ------------------------------------------------------------
cp "$MTADIAG" "$t/mtadiag"
chmod 755 "$t/mtadiag"
ip netns exec "$NS_B" timeout 10 "${as_nobody[@]}" "$t/mtadiag" -i lo >/dev/null 2>"$t/n.err"
rc=$?
cat "$t/n.err"
check "nobody, no caps: exit 2" [ $rc = 2 ]
check "nobody, no caps: one stderr line" [ "$(wc -l <"$t/n.err")" = 1 ]
check "nobody, no caps: says permission" grep -q "no permission" "$t/n.err"

# --- nobody with ambient capabilities (as the systemd unit starts it), -Z itself ----------
ip netns exec "$NS_B" timeout 30 "${as_nobody[@]}" --inh-caps=+net_raw,+net_admin \
	--ambient-caps=+net_raw,+net_admin "$t/mtadiag" -i "$VETH_B" -Z nobody --json \
	>"$t/amb.json" 2>"$t/amb.err" &
tpid=$!
live_bg $tpid
if live_wait_listening "$t/amb.err" $tpid && pid=$(live_child $tpid); then
	ip netns exec "$NS_A" timeout 20 /usr/bin/python3 "$peer" session "$ADDR_B" 25 ||
		{ echo "FAIL: SMTP session failed"; fail=1; }
	check "ambient caps: runs as nobody" [ "$(status_of $pid Uid)" = "$(ids4 $nobody_uid)" ]
	for c in CapPrm CapEff CapAmb CapInh; do
		check "ambient caps: $c empty once capturing" [ "$(status_of $pid $c)" = 0000000000000000 ]
	done
	sleep 0.3
	kill -INT $tpid
	wait $tpid
	check "ambient caps: exit 0" [ $? = 0 ]
	check "ambient caps: session diagnosed" grep -q '"helo_name":"peer.example.org"' "$t/amb.json"
else
	echo "FAIL ambient caps: capture did not start"
	fail=1
fi

# --- nobody with file capabilities ----------------------------------------------------------
if ! setcap cap_net_raw,cap_net_admin=eip "$t/mtadiag" 2>"$t/setcap.err"; then
	echo "SKIP (part): setcap failed on $t: $(cat "$t/setcap.err")"
else
	ip netns exec "$NS_B" timeout 30 "${as_nobody[@]}" "$t/mtadiag" -i lo --json \
		--smtp-ports 2526 -f "tcp port 2526" >"$t/c.json" 2>"$t/c.err" &
	tpid=$!
	live_bg $tpid
	live_wait_listening "$t/c.err" $tpid || exit 1
	pid=$(live_child $tpid) || { echo "FAIL: no mtadiag process"; exit 1; }
	echo "while capturing: $(grep -E '^(Uid|CapPrm|CapEff|CapAmb|NoNewPrivs):' /proc/$pid/status | tr '\n\t' '  ')"
	check "file caps: runs as nobody" [ "$(status_of $pid Uid)" = "$(ids4 $nobody_uid)" ]
	for c in CapPrm CapEff CapAmb; do
		check "file caps: $c empty once capturing" [ "$(status_of $pid $c)" = 0000000000000000 ]
	done
	check "file caps: NoNewPrivs" [ "$(status_of $pid NoNewPrivs)" = 1 ]
	ip netns exec "$NS_B" timeout 20 /usr/bin/python3 "$peer" smtp-server 127.0.0.1 2526 5 &
	srv=$!
	live_wait_port "$NS_B" 2526 &&
		ip netns exec "$NS_B" timeout 20 /usr/bin/python3 "$peer" session 127.0.0.1 2526 ||
		{ echo "FAIL: loopback session failed"; fail=1; }
	kill $srv 2>/dev/null
	wait $srv 2>/dev/null
	sleep 0.3
	kill -INT $tpid
	wait $tpid
	rc=$?
	check "file caps: exit 0" [ $rc = 0 ]
	check "file caps: session diagnosed on lo" grep -q '"helo_name":"peer.example.org"' "$t/c.json"

	ip netns exec "$NS_B" timeout 10 "${as_nobody[@]}" "$t/mtadiag" -i lo -Z daemon \
		>/dev/null 2>"$t/d.err"
	rc=$?
	cat "$t/d.err"
	check "file caps: -Z another user refused with exit 2" [ $rc = 2 ]
	check "file caps: -Z another user: one stderr line" [ "$(wc -l <"$t/d.err")" = 1 ]
	ip netns exec "$NS_B" timeout 10 "${as_nobody[@]}" "$t/mtadiag" -i lo -Z nobody -c 1 \
		-f "tcp port 2527" >/dev/null 2>"$t/s.err" &
	tpid=$!
	live_bg $tpid
	live_wait_listening "$t/s.err" $tpid
	check "file caps: -Z nobody (itself) accepted" grep -q "as user nobody" "$t/s.err"
	kill -INT $tpid
	wait $tpid
	check "file caps: -Z nobody: exit 0 after SIGINT" [ $? = 0 ]
fi
[ $fail = 0 ] && echo "PASS: privileges dropped as documented"
exit $fail
