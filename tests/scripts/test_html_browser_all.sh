#!/bin/bash
# test_html_browser_all.sh — the HTML report of every capture in pcaps/ renders without a
# script error: one headless chromium loads each report, then draws every ladder
# diagram of it (mtadiag.drawAll()); the console and uncaught exceptions are read through the
# DevTools protocol, and the page's own status must be "ok" with as many findings and sessions
# as mtadiag --json reports.  The same for the small hostile captures of tests/gen/gen_hostile.py
# (generated here): timestamps beyond what a JavaScript Date holds, 50 000 findings on one
# connection, snapshot-length cuts, broken pcapng blocks, endless lines and TSDUs.
# Skipped (77) without chromium.
set -u
: "${MTADIAG:?}" "${MTA_SRC:?}"
command -v "${CHROMIUM:-chromium}" >/dev/null || { echo "SKIP: chromium missing"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mapfile -t caps < <(find "$MTA_SRC/pcaps" -name '*.pcap' -o -name '*.pcapng' | sort)
[ ${#caps[@]} -gt 100 ] || { echo "FAIL: only ${#caps[@]} captures found"; exit 1; }
hostile="pcapng_huge_time ooo_flood caplen_snaplen caplen_huge truncated pcapng_unknown
	pcapng_bad_len endless_line endless_tsdu spdu_overrun nested_pgi huge_reply tpkt_short"
# shellcheck disable=SC2086
/usr/bin/python3 "$MTA_SRC/tests/gen/gen_hostile.py" "$T" $hostile >/dev/null ||
	{ echo "FAIL: gen_hostile.py"; exit 1; }
mapfile -t -O ${#caps[@]} caps < <(find "$T" -name '*.pcap' -o -name '*.pcapng' | sort)
timeout 600 /usr/bin/python3 "$MTA_SRC/tests/tools/html_browser.py" all "$MTADIAG" "$T" \
	"${caps[@]}" || { echo "FAIL"; exit 1; }
echo "PASS: ${#caps[@]} reports render without a script error"
