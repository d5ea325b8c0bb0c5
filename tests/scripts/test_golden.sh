#!/bin/bash
# test_golden.sh — mtadiag's whole output on the bundled captures, against committed copies.
#
# The .expect files (test_expect.sh) pin each finding's code and frame; this pins everything
# else a user reads: finding messages and details, the SMTP session and OSI association
# summaries in JSON and in the text report, and the statistics.  The summary and finding
# writers fill buffers reserved up front without further checks, so a wrong reservation or a
# slip in one of them shows here as a changed line.
#
# tests/golden/pcaps.jsonl and tests/golden/pcaps.txt hold, for every pcaps/**/*.pcap and
# *.pcapng in name order, a line "### <path>" and then `mtadiag -r <path> --json` or
# `mtadiag -r <path>` as printed.  A change of output that is meant: run this script with
# MTA_GOLDEN_UPDATE=1 to rewrite both files, and commit them with the change.
#
# env: MTADIAG, MTA_SRC; MTA_GOLDEN_UPDATE=1 to rewrite the files.
set -u
: "${MTADIAG:?set MTADIAG to the mtadiag binary}" "${MTA_SRC:?set MTA_SRC to the repository root}"
[ -x "$MTADIAG" ] || { echo "FAIL - $MTADIAG is not an executable"; exit 1; }
G=$MTA_SRC/tests/golden
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

n=0
: >"$T/pcaps.json"
: >"$T/pcaps.txt"
while IFS= read -r cap; do
	rel=${cap#"$MTA_SRC"/}
	n=$((n + 1))
	for mode in json txt; do
		echo "### $rel" >>"$T/pcaps.$mode"
		if [ "$mode" = json ]; then
			(cd "$MTA_SRC" && "$MTADIAG" -r "$rel" --json) >>"$T/pcaps.$mode" 2>&1
		else
			(cd "$MTA_SRC" && "$MTADIAG" -r "$rel") >>"$T/pcaps.$mode" 2>&1
		fi
		echo "### exit $?" >>"$T/pcaps.$mode"
	done
done < <(find "$MTA_SRC/pcaps" -type f \( -name '*.pcap' -o -name '*.pcapng' \) | LC_ALL=C sort)
mv "$T/pcaps.json" "$T/pcaps.jsonl"

if [ "$n" = 0 ]; then
	echo "FAIL - no capture under pcaps/: nothing compared"
	exit 1
fi
if [ "${MTA_GOLDEN_UPDATE:-}" = 1 ]; then
	mkdir -p "$G"
	cp "$T/pcaps.jsonl" "$T/pcaps.txt" "$G/"
	echo "ok - rewrote tests/golden/pcaps.jsonl and pcaps.txt from $n captures"
	exit 0
fi

fails=0
for f in pcaps.jsonl pcaps.txt; do
	if [ ! -f "$G/$f" ]; then
		echo "FAIL - tests/golden/$f is missing (MTA_GOLDEN_UPDATE=1 writes it)"
		fails=$((fails + 1))
	elif diff -u "$G/$f" "$T/$f" >"$T/diff"; then
		echo "ok - $n captures: output identical to tests/golden/$f"
	else
		echo "FAIL - output differs from tests/golden/$f ($(grep -c '^[-+][^-+]' "$T/diff") lines):"
		head -60 "$T/diff" | sed 's/^/#   /'
		fails=$((fails + 1))
	fi
done
echo "# $n captures, $fails failure(s)"
[ "$fails" = 0 ]
