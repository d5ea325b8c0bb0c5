#!/bin/bash
# test_smtp_tshark_diff.sh — mtadiag's SMTP dialogue (frame + command, frame + reply code) against
# tshark's smtp.req.command / smtp.response.code on every capture under pcaps/ (captures without
# SMTP give nothing on either side) and on the external set (../shared/pcaps/external/smtp-*, or
# $MTA_EXTERNAL).  Each difference must be documented in tests/tools/smtp_tshark_diff.py (KNOWN)
# with the reason.
set -u
bin=${MTADIAG:?MTADIAG not set}
src=${MTA_SRC:?MTA_SRC not set}
command -v tshark >/dev/null || { echo "SKIP: tshark missing"; exit 77; }
[ -x "$bin" ] || { echo "SKIP: $bin not built"; exit 77; }
ext=${MTA_EXTERNAL:-$src/../shared/pcaps/external}
files=()
while IFS= read -r f; do
	files+=("$f")
done < <(find "$src/pcaps" -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort)
for f in "$ext"/smtp-*.pcap "$ext"/smtp-*.pcapng; do
	[ -e "$f" ] && files+=("$f")
done
[ ${#files[@]} -gt 0 ] || { echo "SKIP: no SMTP captures"; exit 77; }
exec timeout 900 /usr/bin/python3 "$src/tests/tools/smtp_tshark_diff.py" "$bin" "${files[@]}"
