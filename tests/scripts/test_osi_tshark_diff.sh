#!/bin/bash
# test_osi_tshark_diff.sh — per-frame SPDU types and serial numbers: mtadiag vs tshark, for every
# port-102 capture in pcaps/ and ../shared/pcaps/external/ (documented quirks in the python).
set -u
TRACE="$MTA_BUILD/tests/osi_trace"
TSHARK=$(command -v tshark || true)
[ -x "$TRACE" ] || { echo "osi_trace not built"; exit 77; }
[ -n "$TSHARK" ] || { echo "tshark not installed"; exit 77; }
files=()
for f in "$MTA_SRC"/pcaps/osi/*.pcap "$MTA_SRC"/../shared/pcaps/external/x400-* \
	 "$MTA_SRC"/../shared/pcaps/external/mms-* "$MTA_SRC"/../shared/pcaps/external/s7comm* \
	 "$MTA_SRC"/../shared/pcaps/external/cotp-*; do
	[ -f "$f" ] && files+=("$f")
done
[ ${#files[@]} -gt 0 ] || exit 77
exec /usr/bin/python3 "$MTA_SRC/tests/tools/osi_tshark_diff.py" "$TRACE" "$TSHARK" "${files[@]}"
