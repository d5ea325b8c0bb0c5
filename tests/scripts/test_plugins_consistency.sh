#!/bin/bash
# test_plugins_consistency.sh — the plugins report what the capture tool reports (contract §5).
#
# For every capture under pcaps/ and ../shared/pcaps/external/, and a generated one of 1 000
# SMTP sessions: the findings of
# `mtadiag -r F --json` equal, as (code, frame, severity, message), the findings the smtpdiag and
# osidiag plugins render in two-pass tshark, each with an expert info of the code's name and the
# finding's severity; one-pass tshark shows the same except findings decided at capture end (on
# their connection's last frame).  tests/tools/plugin_compare.py does the comparison.
#
# env: MTADIAG, MTA_SRC, MTA_BUILD.  Skips (77) without tshark or the plugin build.
set -u
: "${MTADIAG:?set MTADIAG to the mtadiag binary}"
. "${MTA_SRC:?}/tests/tools/plugin_env.sh"
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

ext=${MTA_EXTERNAL_PCAPS:-$MTA_SRC/../shared/pcaps/external}
[ -d "$ext" ] || ext=$MTA_SRC/../../shared/pcaps/external
[ -d "$ext" ] || echo "# external captures not found: only pcaps/ checked"
fails=0
passes=0
files=()
while IFS= read -r -d '' f; do files+=("$f"); done < <(
	find "$MTA_SRC/pcaps" "$ext" \
		\( -name '*.pcap' -o -name '*.pcapng' \) -print0 2>/dev/null | sort -z)
if [ "${#files[@]}" = 0 ]; then
	echo "skip: no captures found"
	exit 77
fi
# One generated capture large enough (1 000 sessions, ~5 MB of plugin records) that the plugin
# stores records past its first 2 MiB, in the chunks offered as huge pages.
if $PY "$MTA_SRC/tests/bench/gen_bench.py" smtp "$T/gen-1000-sessions.pcap" --sessions 1000 \
	--mean-body 500 --seed 7 >/dev/null 2>&1; then
	files+=("$T/gen-1000-sessions.pcap")
else
	echo "FAIL - could not generate the 1 000-session capture"
	exit 1
fi
total=0
for f in "${files[@]}"; do
	name=${f#"$MTA_SRC"/}
	"$MTADIAG" -r "$f" --json >"$T/tool.jsonl" 2>"$T/tool.err"
	rc=$?
	if [ "$rc" -gt 1 ]; then
		# unusable input for the tool: tshark must not crash on it either
		"${TS[@]}" -r "$f" -q >/dev/null 2>&1
		echo "ok - $name (not analysable by mtadiag: $(head -c 200 "$T/tool.err"))"
		passes=$((passes + 1))
		continue
	fi
	"${TS[@]}" -2 -r "$f" -Y 'smtpdiag || osidiag' -T pdml -J 'smtpdiag osidiag' \
		>"$T/two.pdml" 2>"$T/two.err"
	"${TS[@]}" -r "$f" -Y 'smtpdiag || osidiag' -T pdml -J 'smtpdiag osidiag' \
		>"$T/one.pdml" 2>"$T/one.err"
	if grep -qiE 'dissector bug|assert|Couldn.t load plugin' "$T/two.err" "$T/one.err"; then
		echo "FAIL - $name: tshark complained: $(cat "$T/two.err" "$T/one.err" | head -c 400)"
		fails=$((fails + 1))
		continue
	fi
	if $PY "$MTA_SRC/tests/tools/plugin_compare.py" check "$T/tool.jsonl" "$T/two.pdml" \
		"$T/one.pdml" >"$T/cmp" 2>&1; then
		echo "ok - $name: $(tail -1 "$T/cmp")"
		passes=$((passes + 1))
	else
		echo "FAIL - $name"
		sed 's/^/    /' "$T/cmp" | head -20
		fails=$((fails + 1))
	fi
	total=$((total + 1))
done
echo "$passes passed, $fails failed ($total captures compared)"
[ "$fails" = 0 ]
