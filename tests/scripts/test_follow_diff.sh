#!/bin/bash
# test_follow_diff.sh — differential test of TCP reassembly: for every capture in pcaps/
# (recursively), ../shared/pcaps/external/ and a set of generated corner cases
# (tests/tools/gen_reasm_captures.py: out-of-order, retransmissions, conflicting overlaps,
# holes, sequence wrap, mid-stream start, IPv6, port reuse, keep-alive, data on FIN/RST, VLAN),
# the bytes mtadiag delivers per connection and direction (--follow-dump) must equal tshark's
# "Follow TCP Stream" (raw) of the same stream.  The comparison, the reading of tshark's hole
# markers and the list of deliberate, narrow exceptions (per capture + stream + direction, with
# the reason) are in tests/tools/follow_diff.py.
#
# env: MTADIAG, MTA_SRC.  Skips (77) when tshark or scapy is missing.
set -u
: "${MTADIAG:?set MTADIAG to the mtadiag binary}" "${MTA_SRC:?set MTA_SRC to the repository root}"
[ -x "$MTADIAG" ] || { echo "FAIL - $MTADIAG is not an executable"; exit 1; }
PY=/usr/bin/python3
TOOLS=$MTA_SRC/tests/tools

command -v tshark >/dev/null || { echo "skip: tshark not found"; exit 77; }
$PY -c 'import scapy' 2>/dev/null || { echo "skip: /usr/bin/python3 has no scapy"; exit 77; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# tshark as root warns about it on stderr and may want a writable home for its profile.
export HOME=$T

caps=()
if [ -d "$MTA_SRC/pcaps" ]; then
	while IFS= read -r -d '' f; do caps+=("$f"); done < <(find "$MTA_SRC/pcaps" -type f \( -name '*.pcap' -o -name '*.pcapng' \) -print0 | sort -z)
fi
ext=${MTA_EXTERNAL_PCAPS:-$MTA_SRC/../shared/pcaps/external}
[ -d "$ext" ] || ext=$MTA_SRC/../../shared/pcaps/external
if [ -d "$ext" ]; then
	while IFS= read -r -d '' f; do caps+=("$f"); done < <(find "$ext" -type f \( -name '*.pcap' -o -name '*.pcapng' \) -print0 | sort -z)
else
	echo "# external captures not found"
fi
mkdir -p "$T/gen"
if ! $PY "$TOOLS/gen_reasm_captures.py" "$T/gen" 2>"$T/gen.err"; then
	echo "FAIL - generating the corner-case captures: $(cat "$T/gen.err")"
	exit 1
fi
for f in "$T"/gen/*.pcap; do caps+=("$f"); done

echo "# ${#caps[@]} captures"
$PY "$TOOLS/follow_diff.py" "$MTADIAG" "$T" "${caps[@]}"
