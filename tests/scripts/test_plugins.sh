#!/bin/bash
# test_plugins.sh — the smtpdiag and osidiag Wireshark plugins (contract §5): they load, export
# only the loader's symbols and their link to each other, show the same findings sharing one
# engine, with either protocol disabled and each loaded alone, register every finding code of their protocol as an expert info,
# filter, run their stats trees with the right counts, show end-of-capture findings from the
# second pass on, follow their preferences like the capture tool's options, and install into
# Wireshark's plugin folder.  The comparison tool itself is checked to fail on a difference.
#
# env: MTADIAG, MTA_SRC, MTA_BUILD.  Skips (77) without tshark or the plugin build.
set -u
: "${MTADIAG:?set MTADIAG to the mtadiag binary}"
. "${MTA_SRC:?}/tests/tools/plugin_env.sh"
PY=/usr/bin/python3
CMP=$MTA_SRC/tests/tools/plugin_compare.py
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

fails=0
passes=0
ok() { echo "ok - $1"; passes=$((passes + 1)); }
fail() { echo "FAIL - $1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }

# pdml F [tshark options...]: our protocols' items of F as PDML on stdout
pdml() {
	local f=$1
	shift
	"${TS[@]}" "$@" -r "$f" -Y 'smtpdiag || osidiag' -T pdml -J 'smtpdiag osidiag' 2>/dev/null
}
# consistent NAME F "mtadiag options" "tshark options": tool vs two-pass and one-pass plugins
consistent() {
	local name=$1 f=$2 mopts=$3 topts=$4
	# shellcheck disable=SC2086
	"$MTADIAG" -r "$f" --json $mopts >"$T/c.jsonl" 2>/dev/null
	# shellcheck disable=SC2086
	pdml "$f" -2 $topts >"$T/c2.pdml"
	# shellcheck disable=SC2086
	pdml "$f" $topts >"$T/c1.pdml"
	if $PY "$CMP" check "$T/c.jsonl" "$T/c2.pdml" "$T/c1.pdml" >"$T/c.out" 2>&1; then
		ok "$name: $(tail -1 "$T/c.out")"
	else
		fail "$name"
		sed 's/^/    /' "$T/c.out" | head -10
	fi
}

# ---- loading ---------------------------------------------------------------------------------
"${TS[@]}" -G plugins >"$T/plugins" 2>"$T/plugins.err"
check "tshark -G plugins lists smtpdiag.so" 'grep -qE "^smtpdiag\.so[[:space:]]+[0-9.]+[[:space:]]+dissector" "$T/plugins"'
check "tshark -G plugins lists osidiag.so" 'grep -qE "^osidiag\.so[[:space:]]+[0-9.]+[[:space:]]+dissector" "$T/plugins"'
check "no plugin load error" '! grep -qi "plugin" "$T/plugins.err"'
for p in smtpdiag osidiag; do
	syms=$(nm -D --defined-only "$PLUGDIR/$p.so" 2>/dev/null | awk '{print $3}' | sort | tr '\n' ' ')
	check "$p.so exports only the loader's symbols and its link to the other plugin" \
		'[ "$syms" = "mtap_link_v1 plugin_register plugin_version plugin_want_major plugin_want_minor " ]'
done

# ---- registration: protocol, fields, one expert name per catalogue code ------------------------
"${TS[@]}" -G fields >"$T/fields" 2>/dev/null
for p in smtpdiag osidiag; do
	check "protocol $p registered" 'grep -qP "^P\t[^\t]*\t$p$" "$T/fields"'
	for fld in code severity message related_frame client server dir; do
		check "field $p.$fld registered" 'grep -qP "^F\t[^\t]*\t$p\.$fld\t" "$T/fields"'
	done
	want=$(grep -oE "\"$p\.[a-z0-9_]+\"" "$MTA_SRC/include/mtadiag/findings.def" | tr -d '"' | sort)
	have=$(grep -oP "^F\t[^\t]*\t$p\.[a-z0-9_]+\tFT_NONE\t" "$T/fields" | cut -f3 | grep -v "^$p\.summary$" | sort -u)
	n=$(echo "$want" | wc -l)
	check "every $p code of findings.def is an expert info ($n codes)" \
		'[ -n "$want" ] && [ "$want" = "$have" ]'
done

# ---- filters and expert infos on a scenario with a raised severity ------------------------------
seed0=$MTA_SRC/pcaps/smtp/seed000-rst-during-data.pcap
if [ -f "$seed0" ]; then
	want=$("$MTADIAG" -r "$seed0" --json | grep '"code":"smtpdiag.rst"' | grep -o '"frame":[0-9]*' | cut -d: -f2 | sort -n | tr '\n' ' ')
	got=$("${TS[@]}" -r "$seed0" -Y 'smtpdiag.code == "smtpdiag.rst"' -T fields -e frame.number 2>/dev/null | tr '\n' ' ')
	check "filter smtpdiag.code == \"smtpdiag.rst\" gives frames [$want]" '[ -n "$want" ] && [ "$got" = "$want" ]'
	got=$("${TS[@]}" -r "$seed0" -Y 'smtpdiag.rst' -T fields -e frame.number 2>/dev/null | tr '\n' ' ')
	check "expert-name filter smtpdiag.rst matches the same frames" '[ "$got" = "$want" ]'
	sev=$("${TS[@]}" -r "$seed0" -Y 'smtpdiag.rst' -T fields -e _ws.expert.severity -e smtpdiag.severity 2>/dev/null | head -1)
	check "RST inside a transaction is an expert error ($sev)" '[[ "$sev" == *8388608*error* ]]'
	"${TS[@]}" -r "$seed0" -q -z expert >"$T/expert" 2>/dev/null
	check "-z expert lists SMTPDIAG under Errors" 'sed -n "/^Errors/,/^Warns\|^Notes\|^Chats/p" "$T/expert" | grep -q SMTPDIAG'
	"${TS[@]}" -2 -r "$seed0" -q -z smtpdiag,tree >"$T/tree" 2>/dev/null
	check "-z smtpdiag,tree counts 2 errors" 'grep -qE "^ error +2 " "$T/tree"'
	check "-z smtpdiag,tree counts smtpdiag.rst once" 'grep -qE "^ smtpdiag\.rst +1 " "$T/tree"'
	check "-z smtpdiag,tree counts the session summary" 'grep -qE "^Connections summarised +1 " "$T/tree"'
else
	fail "scenario capture $seed0 missing"
fi
osi=$MTA_SRC/pcaps/osi/seed003_invalid_mip_abort.pcap
if [ -f "$osi" ]; then
	n=$("$MTADIAG" -r "$osi" --json | grep '"kind":"finding"' | grep -c '"code":"osidiag\.')
	"${TS[@]}" -2 -r "$osi" -q -z osidiag,tree >"$T/otree" 2>/dev/null
	check "-z osidiag,tree counts the $n osidiag findings" '[ "$n" -gt 0 ] && grep -qE "^Findings by code +$n " "$T/otree"'
	check "-z smtpdiag,tree shows no SMTP finding on an OSI capture" \
		'"${TS[@]}" -2 -r "$osi" -q -z smtpdiag,tree 2>/dev/null | grep -qE "^Findings by code +0 "'
	# the session SPDUs osidiag shows agree with Wireshark's own ses dissector
	for f in "$osi" "$MTA_SRC/pcaps/osi/m1_mip_serial_gap.pcap"; do
		[ -f "$f" ] || continue
		ws=$("${TS[@]}" -r "$f" -Y 'ses.type == 49' -T fields -e frame.number -e ses.serial_number 2>/dev/null)
		ours=$("${TS[@]}" -r "$f" -Y 'osidiag.spdu == "MIP"' -T fields -e frame.number -e osidiag.serial 2>/dev/null)
		check "osidiag.spdu/serial of MIPs match ses.type/serial_number ($(basename "$f"): $(echo "$ws" | wc -l) frames)" \
			'[ -n "$ws" ] && [ "$ws" = "$ours" ]'
	done
	check "-z osidiag,tree counts session SPDUs" \
		'"${TS[@]}" -2 -r "$osi" -q -z osidiag,tree 2>/dev/null | grep -qE "^ MIP +[1-9]"'
else
	fail "scenario capture $osi missing"
fi

# ---- one core for both plugins, or each its own: the same findings ------------------------------
# Loaded together from one folder, the plugins share one engine and one postdissector; with one
# protocol disabled, the other still shows its findings (and the disabled one none); loaded
# alone, a plugin runs its own engine.
# count_expert F PROTO [tshark options...]: expert infos of protocol PROTO (SMTPDIAG, OSIDIAG)
count_expert() {
	local f=$1 proto=$2
	shift 2
	"${TS[@]}" "$@" -r "$f" -q -z expert 2>/dev/null | awk -v p="$proto" '$3 == p || $4 == p { n += $1 } END { print n + 0 }'
}
if [ -f "$seed0" ] && [ -f "$osi" ]; then
	ns=$("$MTADIAG" -r "$seed0" --json | grep -c '"code":"smtpdiag\.')
	no=$("$MTADIAG" -r "$osi" --json | grep '"kind":"finding"' | grep -c '"code":"osidiag\.')
	check "both loaded: $ns SMTPDIAG and $no OSIDIAG expert infos" \
		'[ "$(count_expert "$seed0" SMTPDIAG)" = "$ns" ] && [ "$(count_expert "$osi" OSIDIAG)" = "$no" ]'
	check "smtpdiag disabled: no SMTPDIAG, still $no OSIDIAG" \
		'[ "$(count_expert "$seed0" SMTPDIAG --disable-protocol smtpdiag)" = 0 ] && [ "$(count_expert "$osi" OSIDIAG --disable-protocol smtpdiag)" = "$no" ]'
	check "osidiag disabled: no OSIDIAG, still $ns SMTPDIAG" \
		'[ "$(count_expert "$osi" OSIDIAG --disable-protocol osidiag)" = 0 ] && [ "$(count_expert "$seed0" SMTPDIAG --disable-protocol osidiag)" = "$ns" ]'
	for p in smtpdiag osidiag; do
		mkdir -p "$T/alone-$p/.local/lib/wireshark/plugins/4.0/epan"
		ln -s "$(readlink -f "$PLUGDIR/$p.so")" "$T/alone-$p/.local/lib/wireshark/plugins/4.0/epan/$p.so"
	done
	TS_SAVED=("${TS[@]}")
	TS=("${TS[@]/#HOME=*/HOME=$T/alone-smtpdiag}")
	check "smtpdiag alone: $ns SMTPDIAG, no OSIDIAG" \
		'[ "$(count_expert "$seed0" SMTPDIAG)" = "$ns" ] && [ "$(count_expert "$osi" OSIDIAG)" = 0 ]'
	TS=("${TS_SAVED[@]/#HOME=*/HOME=$T/alone-osidiag}")
	check "osidiag alone: $no OSIDIAG, no SMTPDIAG" \
		'[ "$(count_expert "$osi" OSIDIAG)" = "$no" ] && [ "$(count_expert "$seed0" SMTPDIAG)" = 0 ]'
	TS=("${TS_SAVED[@]}")
fi

# ---- end of capture: decided after the first pass, shown from the second on ----------------------
$PY "$MTA_SRC/tests/tools/plugin_gen_capture.py" "$T/end.pcap"
one=$("${TS[@]}" -r "$T/end.pcap" -Y 'smtpdiag.code == "smtpdiag.stall"' -T fields -e frame.number 2>/dev/null | tr '\n' ' ')
two=$("${TS[@]}" -2 -r "$T/end.pcap" -Y 'smtpdiag.code == "smtpdiag.stall"' -T fields -e frame.number 2>/dev/null | tr '\n' ' ')
want=$("$MTADIAG" -r "$T/end.pcap" --json | grep '"code":"smtpdiag.stall"' | grep -o '"frame":[0-9]*' | cut -d: -f2 | tr '\n' ' ')
check "capture-end stall: mtadiag at frame [$want], two-pass tshark [$two], one pass none" \
	'[ -n "$want" ] && [ "$two" = "$want" ] && [ -z "$one" ]'
consistent "capture-end stall capture consistent" "$T/end.pcap" "" ""

# ---- preferences mirror the capture tool's options ------------------------------------------------
consistent "stall 2 s: --stall 2 == -o smtpdiag.stall:2" "$T/end.pcap" "--stall 2" "-o smtpdiag.stall:2"
if [ -f "$seed0" ]; then
	consistent "SMTP ports 2526: --smtp-ports == -o smtpdiag.ports" "$seed0" "--smtp-ports 2526" "-o smtpdiag.ports:2526"
fi
if [ -f "$osi" ]; then
	consistent "OSI ports 103: --osi-ports == -o osidiag.ports" "$osi" "--osi-ports 103" "-o osidiag.ports:103"
fi
check "preferences registered" '"${TS[@]}" -G defaultprefs 2>/dev/null | grep -q "^#smtpdiag.max_conns: 65536" && "${TS[@]}" -G defaultprefs 2>/dev/null | grep -q "^#osidiag.ports: 102"'

# ---- the comparison fails on a difference ---------------------------------------------------------
"$MTADIAG" -r "$seed0" --json >"$T/m.jsonl" 2>/dev/null
pdml "$seed0" -2 >"$T/m2.pdml"
sed 's/"severity":"error"/"severity":"warning"/' "$T/m.jsonl" >"$T/m_sev.jsonl"
sed 's/"frame":18/"frame":17/' "$T/m.jsonl" >"$T/m_frame.jsonl"
sed 's/"message":"The /"message":"A /' "$T/m.jsonl" >"$T/m_msg.jsonl"
grep -v '"code":"smtpdiag.rst"' "$T/m.jsonl" >"$T/m_less.jsonl"
sed 's/"dir":"s2c"/"dir":"c2s"/' "$T/m.jsonl" >"$T/m_dir.jsonl"
sed 's/"client":"192/"client":"193/' "$T/m.jsonl" >"$T/m_conn.jsonl"
check "comparison passes on the real output" '$PY "$CMP" check "$T/m.jsonl" "$T/m2.pdml" >/dev/null'
for m in sev frame msg less dir conn; do
	check "comparison fails on a changed $m" '! $PY "$CMP" check "$T/m_$m.jsonl" "$T/m2.pdml" >/dev/null'
done

# ---- install into Wireshark's plugin folder (staged with DESTDIR) ----------------------------------
if DESTDIR=$T/inst cmake --install "$MTA_BUILD" >"$T/inst.log" 2>&1; then
	check "cmake --install puts both plugins in the system epan folder" \
		'ls "$T"/inst/usr/lib/*/wireshark/plugins/4.0/epan/smtpdiag.so "$T"/inst/usr/lib/*/wireshark/plugins/4.0/epan/osidiag.so >/dev/null 2>&1'
else
	fail "cmake --install with DESTDIR: $(tail -3 "$T/inst.log")"
fi

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
