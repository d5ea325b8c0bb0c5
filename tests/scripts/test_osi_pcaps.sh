#!/bin/bash
# test_osi_pcaps.sh — the OSI scenario captures: the generator reproduces the committed files
# byte for byte, and mtadiag reports exactly the expected findings for each of them.
set -u
dir="$MTA_SRC/pcaps/osi"
[ -d "$dir" ] || exit 77
rc=0
if /usr/bin/python3 -c "import scapy" 2>/dev/null; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	/usr/bin/python3 "$MTA_SRC/tests/gen/gen_osi_pcaps.py" "$tmp" >/dev/null 2>&1 || { echo "generator failed"; rc=1; }
	for f in "$tmp"/*; do
		b=$(basename "$f")
		cmp -s "$f" "$dir/$b" || { echo "differs from the generator: $b"; rc=1; }
	done
	n_gen=$(ls "$tmp" | wc -l)
	n_com=$(ls "$dir" | wc -l)
	[ "$n_gen" = "$n_com" ] || { echo "generator writes $n_gen files, $n_com committed"; rc=1; }
else
	echo "scapy not available: generator check skipped"
fi
[ -x "${MTADIAG:-}" ] || { echo "mtadiag not built"; exit 77; }
for p in "$dir"/*.pcap; do
	out=$("$MTADIAG" -r "$p" --expect "${p%.pcap}.expect" 2>&1) || { echo "== $(basename "$p")"; echo "$out"; rc=1; }
done
# osidiag.memcap: a TSDU larger than the buffer cap (--max-buffer) is dropped, once, on the frame
# that completes it (clean_split.pcap: 3004-octet TSDU in four DT TPDUs ending in frame 12)
got=$("$MTADIAG" -r "$dir/clean_split.pcap" --max-buffer 2048 --json | grep '"kind":"finding"' |
	sed -n 's/.*"code":"\([^"]*\)".*"frame":\([0-9]*\),.*/\1@\2/p' | tr '\n' ' ')
[ "$got" = "osidiag.memcap@12 " ] || { echo "memcap with --max-buffer 2048: got '$got'"; rc=1; }
exit $rc
