#!/bin/bash
# test_plugins_fields.sh — the per-frame fields of smtpdiag and osidiag: SMTP
# state, command, reply code, transaction, latency; session SPDU kind (as X.225 resolves it),
# serial, V(M)/V(A) before and after at the receiver's model, token holders, activity, RTS
# window; TCP events; the connection each frame belongs to and its summary on its first frame.
# Filters on them with tshark -Y on scenario captures and checks the values, and that one pass
# and two passes show the same fields on every scenario capture.
#
# env: MTA_SRC, MTA_BUILD.  Skips (77) without tshark or the plugin build.
set -u
. "${MTA_SRC:?}/tests/tools/plugin_env.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

fails=0
passes=0
ok() { echo "ok - $1"; passes=$((passes + 1)); }
fail() { echo "FAIL - $1"; fails=$((fails + 1)); }
# same NAME EXPECTED ACTUAL
same() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		fail "$1"
		diff <(echo "$2") <(echo "$3") | sed 's/^/    /' | head -20
	fi
}
# fields F FILTER FIELD...: one line per matching frame, tab-separated, all occurrences
fields() {
	local f=$1 filter=$2
	shift 2
	local args=()
	for x in "$@"; do args+=(-e "$x"); done
	"${TS[@]}" -r "$f" -Y "$filter" -T fields -E occurrence=a "${args[@]}" 2>/dev/null
}

P=$MTA_SRC/pcaps
TAB=$'\t'

# ---- SMTP: a pipelined session ------------------------------------------------------------------
f=$P/smtp/pipelining-advertised.pcap
want="4${TAB}reply${TAB}${TAB}220${TAB}${TAB}greeting${TAB}
5${TAB}command${TAB}EHLO${TAB}${TAB}${TAB}ehlo${TAB}
6${TAB}reply${TAB}EHLO${TAB}250${TAB}${TAB}ehlo${TAB}
7${TAB}command,command,command,command${TAB}MAIL,RCPT,RCPT,DATA${TAB}${TAB}1,1,1,1${TAB}mail,rcpt,rcpt,data${TAB}
8${TAB}reply,reply,reply,reply${TAB}MAIL,RCPT,RCPT,DATA${TAB}250,250,250,354${TAB}1,1,1,1${TAB}data,data,data,data${TAB}
9${TAB}data${TAB}DATA${TAB}${TAB}1${TAB}data${TAB}195
10${TAB}reply${TAB}END_OF_DATA${TAB}250${TAB}1${TAB}ehlo${TAB}
11${TAB}command,command${TAB}RSET,QUIT${TAB}${TAB}${TAB}ehlo,quit${TAB}
12${TAB}reply,reply${TAB}RSET,QUIT${TAB}250,221${TAB}${TAB}quit,quit${TAB}"
got=$(fields "$f" smtpdiag.event frame.number smtpdiag.event smtpdiag.cmd smtpdiag.reply_code \
	smtpdiag.transaction smtpdiag.state smtpdiag.data_octets)
same "pipelined session: event, command, reply code, transaction, state, octets per frame" "$want" "$got"
same "smtpdiag.reply_code >= 300 selects the 354 to DATA" "8" \
	"$(fields "$f" 'smtpdiag.reply_code >= 300' frame.number)"
same "smtpdiag.transaction == 1 && smtpdiag.cmd == \"END_OF_DATA\": the final reply" "10" \
	"$(fields "$f" 'smtpdiag.transaction == 1 && smtpdiag.cmd == "END_OF_DATA"' frame.number)"
same "smtpdiag.latency: the replies of frame 8 came 10 ms after frame 7" \
	"0.010000000,0.010000000,0.010000000,0.010000000" \
	"$(fields "$f" 'frame.number == 8' smtpdiag.latency)"
same "smtpdiag.tcp_event: SYN, SYN-ACK and both FINs" "1${TAB}SYN
2${TAB}SYN-ACK
13${TAB}FIN
14${TAB}FIN" "$(fields "$f" smtpdiag.tcp_event frame.number smtpdiag.tcp_event)"
same "smtpdiag.conv: every frame with an event belongs to the connection of frame 1" \
	"$(fields "$f" 'smtpdiag.event || smtpdiag.tcp_event' frame.number)" \
	"$(fields "$f" 'smtpdiag.conv == 1' frame.number)"
same "the connection summary is on the first frame (two passes)" "1" \
	"$("${TS[@]}" -2 -r "$f" -Y smtpdiag.summary -T fields -e frame.number 2>/dev/null)"

f=$P/smtp/seed000-rst-during-data.pcap
same "seed 000: the server's RST during DATA is a TCP event" "18${TAB}RST" \
	"$(fields "$f" 'smtpdiag.tcp_event == "RST"' frame.number smtpdiag.tcp_event)"
same "seed 000: the last SMTP state before the RST is data (354 in frame 12)" "12${TAB}data${TAB}354" \
	"$(fields "$f" 'smtpdiag.reply_code == 354' frame.number smtpdiag.state smtpdiag.reply_code)"

f=$P/smtp/auth-login.pcap
# the credentials as Wireshark's own SMTP dissector decodes them from the client's AUTH lines
secrets=$(fields "$f" 'smtp.auth.username || smtp.auth.password' smtp.auth.username smtp.auth.password | tr -d '\t' | grep -v '^$')
"${TS[@]}" -2 -r "$f" -T pdml 2>/dev/null | grep -E 'name="smtpdiag[.a-z_]*"' >"$T/auth.pdml"
leaks=""
while read -r x; do
	[ -n "$x" ] && grep -qF "$x" "$T/auth.pdml" && leaks+=" $x"
done <<<"$secrets"
same "AUTH LOGIN: no smtpdiag item shows the credentials ($(echo "$secrets" | wc -l) lines)" "" "$leaks"
n=$(fields "$f" 'smtpdiag.cmd == "AUTH_CONT" && smtpdiag.event == "command"' frame.number | wc -l)
same "AUTH LOGIN: two client answers to 334 challenges" "2" "$n"

# ---- OSI: seed 003, the invalid MINOR SYNC POINT -------------------------------------------------
f=$P/osi/seed003_invalid_mip_abort.pcap
want="6${TAB}CN${TAB}CN${TAB}${TAB}${TAB}${TAB}${TAB}${TAB}dk=? mi=? ma=? tr=?${TAB}${TAB}${TAB}
7${TAB}AC${TAB}AC${TAB}${TAB}${TAB}${TAB}${TAB}${TAB}dk=I mi=I ma=I tr=-${TAB}${TAB}0${TAB}3
8${TAB}GT+AS${TAB}AS${TAB}${TAB}${TAB}${TAB}1${TAB}1${TAB}dk=I mi=I ma=I tr=-${TAB}020101${TAB}0${TAB}3
9${TAB}GT+DT${TAB}DT${TAB}${TAB}1${TAB}1${TAB}1${TAB}1${TAB}dk=I mi=I ma=I tr=-${TAB}020101${TAB}0${TAB}3
10${TAB}GT+MIP(1)${TAB}MIP${TAB}1${TAB}1${TAB}1${TAB}2${TAB}1${TAB}dk=I mi=I ma=I tr=-${TAB}020101${TAB}1${TAB}3
11${TAB}PT+MIA(1)${TAB}MIA${TAB}1${TAB}2${TAB}1${TAB}2${TAB}2${TAB}dk=I mi=I ma=I tr=-${TAB}020101${TAB}0${TAB}3
12${TAB}GT+DT${TAB}DT${TAB}${TAB}2${TAB}2${TAB}2${TAB}2${TAB}dk=I mi=I ma=I tr=-${TAB}020101${TAB}0${TAB}3
13${TAB}GT+MIP(3)${TAB}MIP${TAB}3${TAB}2${TAB}2${TAB}4${TAB}2${TAB}dk=I mi=I ma=I tr=-${TAB}020101${TAB}2${TAB}3
14${TAB}AB${TAB}AB${TAB}${TAB}4${TAB}2${TAB}4${TAB}2${TAB}dk=I mi=I ma=I tr=-${TAB}${TAB}0${TAB}3
15${TAB}AA${TAB}AA${TAB}${TAB}4${TAB}2${TAB}4${TAB}2${TAB}dk=I mi=I ma=I tr=-${TAB}${TAB}2${TAB}3"
got=$(fields "$f" osidiag.tsdu frame.number osidiag.tsdu osidiag.kind osidiag.serial \
	osidiag.vm_before osidiag.va_before osidiag.vm osidiag.va osidiag.tokens \
	osidiag.activity osidiag.rts_window_used osidiag.rts_window_size)
same "seed 003: TSDU, kind, serial, V(M)/V(A) before/after, tokens, activity, RTS window" "$want" "$got"
same "seed 003: the MIP whose serial is above V(M) (the one mtadiag reports)" "13" \
	"$(fields "$f" 'osidiag.kind == "MIP" && osidiag.serial > osidiag.vm_before' frame.number)"
same "seed 003: the same frame carries the osidiag.mip_serial finding" "13" \
	"$(fields "$f" 'osidiag.code == "osidiag.mip_serial"' frame.number)"
same "seed 003: COTP CR and CC" "4${TAB}CR
5${TAB}CC" "$(fields "$f" osidiag.tpdu frame.number osidiag.tpdu)"

f=$P/osi/clean_rts_transfer.pcap
same "SI 41 with activity management is AE, never MAP" "19 23 32" \
	"$(fields "$f" 'osidiag.kind == "AE"' frame.number | tr '\n' ' ' | sed 's/ $//')"
same "no MAP/MAA on an activity association" "" "$(fields "$f" 'osidiag.spdu in {"MAP" "MAA"}' frame.number)"
same "SI 42 answering an AE is AEA" "20 24 33" \
	"$(fields "$f" 'osidiag.kind == "AEA"' frame.number | tr '\n' ' ' | sed 's/ $//')"
same "each activity has its own id (AS frames)" "8${TAB}020101
21${TAB}020102
25${TAB}020103" "$(fields "$f" 'osidiag.kind == "AS"' frame.number osidiag.activity)"

# ---- one pass == two passes, on every scenario capture -------------------------------------------
ALL=(frame.number smtpdiag.conv smtpdiag.tcp_event smtpdiag.event smtpdiag.state smtpdiag.cmd
	smtpdiag.reply_code smtpdiag.transaction smtpdiag.latency smtpdiag.data_octets osidiag.conv
	osidiag.tcp_event osidiag.tpdu osidiag.tsdu osidiag.kind osidiag.spdu osidiag.serial
	osidiag.vm_before osidiag.vm osidiag.va_before osidiag.va osidiag.tokens
	osidiag.activity osidiag.rts_window_used osidiag.rts_window_size)
args=()
for x in "${ALL[@]}"; do args+=(-e "$x"); done
n=0
bad=""
for f in "$P"/smtp/*.pcap "$P"/osi/*.pcap; do
	# frames with events (the summaries, decided at connection end, need the second pass)
	"${TS[@]}" -r "$f" -Y 'smtpdiag.conv || osidiag.conv' -T fields -E occurrence=a "${args[@]}" >"$T/one" 2>/dev/null
	"${TS[@]}" -2 -r "$f" -Y 'smtpdiag.conv || osidiag.conv' -T fields -E occurrence=a "${args[@]}" >"$T/two" 2>/dev/null
	if [ ! -s "$T/one" ] || ! cmp -s "$T/one" "$T/two"; then
		bad+=" $(basename "$f")"
	fi
	n=$((n + 1))
done
same "one pass and two passes show the same fields on all $n scenario captures" "" "$bad"

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
