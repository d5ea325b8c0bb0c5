#!/bin/bash
# test_smtp_gen.sh — the committed SMTP scenario captures are exactly what the generator makes,
# every smtpdiag code has a capture that triggers it (an .expect line), and each capture passes
# its .expect through the capture tool.
set -u
src=${MTA_SRC:?MTA_SRC not set}
bin=${MTADIAG:-}
dir=$src/pcaps/smtp
[ -d "$dir" ] || { echo "SKIP: $dir missing"; exit 77; }
fail=0

if /usr/bin/python3 -c 'import scapy' 2>/dev/null; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	if ! timeout 300 /usr/bin/python3 "$src/tests/gen/gen_smtp_pcaps.py" --outdir "$tmp"; then
		echo "FAIL: generator failed"
		fail=1
	fi
	for f in "$tmp"/*; do
		b=$(basename "$f")
		if ! cmp -s "$f" "$dir/$b"; then
			echo "FAIL: $b differs from the generator's output (regenerate and commit)"
			fail=1
		fi
	done
	for f in "$dir"/*.pcap "$dir"/*.expect; do
		[ -e "$tmp/$(basename "$f")" ] || { echo "FAIL: $(basename "$f") is not generated"; fail=1; }
	done
else
	echo "note: /usr/bin/python3 has no scapy: reproducibility not checked"
fi

# every smtpdiag code of the catalogue is triggered by some capture
codes=$(grep -o '"smtpdiag\.[a-z_]*"' "$src/include/mtadiag/findings.def" | tr -d '"' | sort -u)
for c in $codes; do
	if ! grep -qh "\"code\": \"$c\"" "$dir"/*.expect; then
		echo "FAIL: no capture in pcaps/smtp triggers $c"
		fail=1
	fi
done

# each capture gives exactly its expected findings
if [ -n "$bin" ] && [ -x "$bin" ]; then
	for p in "$dir"/*.pcap; do
		n=${p%.pcap}
		if ! out=$(timeout 60 "$bin" -r "$p" --expect "$n.expect" 2>&1); then
			echo "FAIL: $(basename "$p"):"
			echo "$out" | head -20
			fail=1
		fi
	done
else
	echo "note: MTADIAG not set: --expect not run"
fi
[ $fail = 0 ] && echo "PASS: pcaps/smtp reproducible, every smtpdiag code covered, all .expect files met"
exit $fail
