#!/bin/bash
# test_live_cli.sh — live capture options that need no capture rights: -D, usage errors of the
# live options, and an unprivileged -i: without CAP_NET_RAW, `mtadiag -i lo` exits 2 with one
# line on stderr saying it lacks permission (run as nobody through setpriv when the test runs
# as root, as the invoking user otherwise).
set -u
bin=${MTADIAG:?MTADIAG not set}
[ -x "$bin" ] || { echo "SKIP: $bin not built"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"
fails=0
passes=0
ok() { echo "ok - $1"; passes=$((passes + 1)); }
fail() { echo "FAIL - $1"; fails=$((fails + 1)); }
run() {
	timeout 20 "$@" >"$T/out" 2>"$T/err"
	rc=$?
}
nlines() { wc -l <"$1" | tr -d ' '; }
usage() { # usage NAME PATTERN ARGS...: exit 2, nothing on stdout, one matching stderr line
	local name=$1 pat=$2
	shift 2
	run "$bin" "$@"
	if [ $rc = 2 ] && [ ! -s "$T/out" ] && [ "$(nlines "$T/err")" = 1 ] &&
		grep -qE -- "$pat" "$T/err"; then
		ok "$name"
	else
		fail "$name: rc=$rc stderr: $(head -c 300 "$T/err")"
	fi
}

run "$bin" -D
[ $rc = 0 ] && grep -qE '^[0-9]+\.lo \[.*Loopback' "$T/out" && ok "-D lists lo" ||
	fail "-D: rc=$rc $(head -c 300 "$T/out") $(cat "$T/err")"

run "$bin" --help
[ $rc = 0 ] && grep -q -- '-i IFACE' "$T/out" && grep -q -- '--immediate' "$T/out" &&
	grep -q -- '-Z USER' "$T/out" && grep -q -- '-C SIZE' "$T/out" && ok "--help documents live mode" ||
	fail "--help lacks the live options"

usage "-w without -i" "^mtadiag: -w: live capture option without -i IFACE" -w x.pcap
usage "-Z without -i" "^mtadiag: -Z: live capture option without -i IFACE" -r x.pcap -Z nobody
usage "--immediate without -i" "--immediate: live capture option without -i" --immediate -r x.pcap
usage "-i and -r" "exclude each other" -i lo -r x.pcap
usage "-i with --expect" "--expect compares a saved capture" -i lo --expect x.expect
usage "-C without -w" "give -w FILE" -i lo -C 10
usage "-W without -C" "give -C too" -i lo -w x.pcap -W 3
usage "-w -" "standard output carries the report" -i lo -w -
usage "bad -s" "snapshot length" -i lo -s 262145
usage "bad -B" "buffer size" -i lo -B 0
usage "bad -C" "millions of octets" -i lo -w x.pcap -C 1.5
usage "bad -W" "file count" -i lo -w x.pcap -C 1 -W 0
usage "two -i" "one interface only" -i lo -i eth0
usage "trailing filter words" "give the capture filter with -f" -i lo tcp port 25

# Unprivileged: no capture rights.
if [ "$(id -u)" = 0 ]; then
	if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
		cp "$bin" "$T/mtadiag" && chmod 755 "$T/mtadiag"
		run setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups \
			--inh-caps=-all --bounding-set=-all "$T/mtadiag" -i lo
	else
		rc=skip
	fi
else
	run "$bin" -i lo
fi
if [ "$rc" = skip ]; then
	echo "skip - unprivileged -i lo (no setpriv or no user nobody)"
elif [ "$rc" = 2 ] && [ ! -s "$T/out" ] && [ "$(nlines "$T/err")" = 1 ] &&
	grep -qE '^mtadiag: lo: cannot capture: no permission \(.*\); run as root or give the binary CAP_NET_RAW' "$T/err"; then
	ok "unprivileged -i lo: exit 2, one line: $(cat "$T/err")"
else
	fail "unprivileged -i lo: rc=$rc stderr: $(cat "$T/err")"
fi
echo "# $passes passed, $fails failed"
[ $fails = 0 ]
