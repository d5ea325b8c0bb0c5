#!/bin/bash
# test_osi_split.sh — OSI findings are the same when TCP cuts every header into one-octet
# segments (frames mapped back to the original capture).
set -u
[ -x "${MTADIAG:-}" ] || exit 77
/usr/bin/python3 -c "import scapy" 2>/dev/null || exit 77
exec /usr/bin/python3 "$MTA_SRC/tests/tools/osi_split_check.py" "$MTADIAG" "$MTA_SRC"/pcaps/osi/*.pcap
