#!/bin/bash
# test_hostile.sh — hostile captures (tests/gen/gen_hostile.py, generated here, not committed):
# each must give its clear finding or error, within a memory limit and a time limit, without a
# crash.  docs/hardening.md explains every case and the limits.
#
# Memory: every run has an address-space limit (RLIMIT_AS, as `prlimit --as` sets it) and, in
# builds without sanitizers, a bound on the peak resident set.  The engine survives a failed
# allocation by not tracking a connection, so the checks also verify that nothing was lost
# (stats.connections) — a limit set too low shows up as a failure, not as a silent pass.
#
#  * syn_flood (1 000 000 SYNs, default caps): a connection that has sent nothing past its
#    SYN costs its record alone (struct conn, ~1 KB with the allocator's header): the
#    analyser's state (~5 KB for SMTP) is created at its first segment that carries more
#    than the handshake, or when it ends.  The default cap of 65 536 connections then needs
#    ~70 MB plus ~20 MB of program and libraries (396 MB were measured while the state was
#    created with the connection); tracking all 1 000 000 would need ~1 GB.  Limits: peak RSS
#    160 MiB, 512 MiB address space.
#  * the single-connection cases: the caps are 1 MiB of reassembly per direction and 4 MiB per
#    TSDU, so the peak RSS stays under ~3.5 MB (program) + 2 MiB + 4 MiB = ~9.5 MB; every such
#    input carries 16 MiB or more that unbounded buffering would keep.  Bound: RSS < 12 MiB,
#    address space 512 MiB.
#
# env: MTADIAG, MTA_SRC, MTA_BUILD (scratch space for the ~130 MB of captures, else /tmp);
#      HOSTILE_SYN_COUNT (default 1000000; 200000 in sanitizer builds, still 134 464 evictions),
#      HOSTILE_ONLY (space-separated case names).
set -u
: "${MTADIAG:?set MTADIAG to the mtadiag binary}" "${MTA_SRC:?set MTA_SRC to the repository root}"
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "skip: $PY not found"; exit 77; }
W=$(mktemp -d "${MTA_BUILD:-/tmp}/hostile.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT

fails=0
passes=0
ok() { echo "ok - $1"; passes=$((passes + 1)); }
fail() { echo "FAIL - $1"; fails=$((fails + 1)); }

# Checks that fail because of a reported, not yet fixed engine bug: "case:check-id", or
# "case:sanitizer" for a crash or sanitizer report only a sanitizer build shows.  Such a check
# prints XFAIL instead of failing; once it passes it prints XPASS and FAILS, so the entry must
# then be removed (the check stays strict either way).  Empty: the two bugs these captures found
# (hash_flood: a public flow-hash seed; pcapng_huge_time: time arithmetic overflowing int64)
# are fixed.
KNOWN_BUGS=""

# Sanitizer builds reserve terabytes of shadow address space and keep freed memory in
# quarantine: no address-space limit, no RSS bound there, and five times the time.
SAN=0
if nm "$MTADIAG" 2>/dev/null | grep -q '__asan_init\|__ubsan_handle' ||
	ldd "$MTADIAG" 2>/dev/null | grep -q 'libasan\|libubsan'; then
	SAN=1
	echo "# sanitizer build: address-space limits and RSS bounds not applied, time x5," \
		"200 000 SYNs unless HOSTILE_SYN_COUNT says otherwise"
fi
SYN_COUNT=${HOSTILE_SYN_COUNT:-$([ "$SAN" = 1 ] && echo 200000 || echo 1000000)}
MiB=$((1024 * 1024))

# run.py AS_BYTES TIMEOUT DIGEST -- CMD...: runs CMD with RLIMIT_AS (0 = none) and a
# timeout, streams its stdout (JSON Lines) into a digest: exit status, peak RSS (wait4),
# seconds, findings per code (with their frames), summaries, the stats object, stderr.
cat >"$W/run.py" <<'EOF'
import json, os, re, resource, signal, subprocess, sys, threading, time
as_bytes, timeout, digest = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
cmd = sys.argv[5:]
# Peak RSS: GNU time when installed (it forks from a ~2 MB image); otherwise wait4's
# ru_maxrss, which cannot be below this interpreter's own image at fork time (the "floor",
# measured with /bin/true): a value at the floor only says "at most the floor".
GNU_TIME = "/usr/bin/time"
use_time = os.access(GNU_TIME, os.X_OK)
def limit():
    if as_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (as_bytes, as_bytes))
def floor():
    p = subprocess.Popen(["/bin/true"], preexec_fn=limit)
    return os.wait4(p.pid, 0)[2].ru_maxrss
err = open(digest + ".stderr", "wb")
rssf = digest + ".rss"
if use_time:
    cmd = [GNU_TIME, "-f", "%M", "-o", rssf] + cmd
t0 = time.monotonic()
p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, preexec_fn=limit,
                     start_new_session=True)
timed_out = []
def kill():
    timed_out.append(1)
    os.killpg(p.pid, signal.SIGKILL)
timer = threading.Timer(timeout, kill)
timer.start()
d = {"lines": 0, "codes": {}, "frames": {}, "sev": {}, "kinds": {}, "summaries": [],
     "stats": None, "bad_lines": 0}
code_re = re.compile(rb'"code":"([^"]*)","severity":"([a-z]*)","frame":(\d+)')
for line in p.stdout:
    d["lines"] += 1
    if line.startswith(b'{"kind":"finding"'):
        m = code_re.search(line)
        if not m:
            d["bad_lines"] += 1
            continue
        c, s, f = m.group(1).decode(), m.group(2).decode(), int(m.group(3))
        d["codes"][c] = d["codes"].get(c, 0) + 1
        d["sev"][s] = d["sev"].get(s, 0) + 1
        fl = d["frames"].setdefault(c, [])
        if len(fl) < 1000:
            fl.append(f)
        k = "finding"
    else:
        try:
            o = json.loads(line)
            k = o["kind"]
        except (ValueError, KeyError, TypeError):
            d["bad_lines"] += 1
            continue
        if k == "stats":
            d["stats"] = o
        elif len(d["summaries"]) < 20:
            d["summaries"].append(o)
    d["kinds"][k] = d["kinds"].get(k, 0) + 1
_, status, ru = os.wait4(p.pid, 0)
timer.cancel()
err.close()
d["secs"] = round(time.monotonic() - t0, 2)
d["cpu"] = round(ru.ru_utime + ru.ru_stime, 2)
d["timed_out"] = bool(timed_out)
d["rc"] = os.waitstatus_to_exitcode(status)
d["rss_floor_kb"] = 0
d["rss_kb"] = ru.ru_maxrss
if use_time:
    try:
        d["rss_kb"] = int(open(rssf).read().split()[-1])
    except (OSError, ValueError, IndexError):
        pass
else:
    d["rss_floor_kb"] = floor()
d["stderr"] = open(digest + ".stderr", "rb").read().decode("utf-8", "replace")
json.dump(d, open(digest, "w"))
EOF

# chk.py DIGEST EXPR: exit 0 when the Python expression is true of the digest d
# (helpers: S = stats, n(code), frames(code), summ(kind), err_lines).
cat >"$W/chk.py" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
S = d["stats"] or {}
def n(code): return d["codes"].get(code, 0)
def frames(code): return d["frames"].get(code, [])
def summ(kind): return [s for s in d["summaries"] if s["kind"] == kind]
err_lines = [l for l in d["stderr"].splitlines() if l]
sys.exit(0 if eval(sys.argv[2]) else 1)
EOF

# hostile NAME FILE TIMEOUT AS_MIB [RSS_MIB] [mtadiag options...]: run and check the universal
# properties (no crash or signal, in time, valid JSON Lines, a stats object, memory).
# Sets $D (the digest) for the case's own checks.
hostile() {
	local name=$1 file=$2 to=$3 as=$4 rss=$5
	shift 5
	local as_b=$((as * MiB))
	SKIP_CASE=0
	if [ "$SAN" = 1 ]; then
		as_b=0
		to=$((to * 5))
	fi
	D=$W/$name.digest
	"$PY" "$W/run.py" "$as_b" "$to" "$D" -- "$MTADIAG" -r "$file" --json "$@"
	echo "# $name: $("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print("rc=%d rss=%d KB time=%.2f s cpu=%.2f s lines=%d findings=%s" % (d["rc"], d["rss_kb"], d["secs"], d["cpu"], d["lines"], d["codes"]))' "$D")"
	if "$PY" "$W/chk.py" "$D" 'd["timed_out"]'; then
		fail "$name: not finished within $to s"
		return
	fi
	local bad=""
	SKIP_CASE=0
	"$PY" "$W/chk.py" "$D" 'd["rc"] in (0, 1, 2)' ||
		bad="exit status not 0, 1 or 2 (crash or signal): $(head -c 600 "$D.stderr")"
	"$PY" "$W/chk.py" "$D" 'd["bad_lines"] == 0 and d["stats"] is not None' ||
		bad="$bad output damaged or no stats object;"
	if grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error:' "$D.stderr"; then
		bad="$bad sanitizer report: $(grep -m3 'ERROR\|runtime error' "$D.stderr")"
	fi
	# a known bug that only a sanitizer build can see: "NAME:sanitizer" in KNOWN_BUGS
	case " $KNOWN_BUGS " in
	*" $name:sanitizer "*)
		if [ -n "$bad" ]; then
			echo "XFAIL - $name: $bad (known bug $name:sanitizer; the case's other checks skipped)"
		elif [ "$SAN" = 1 ]; then
			fail "$name: XPASS no crash or sanitizer report (fixed: remove $name:sanitizer from KNOWN_BUGS)"
		fi ;;
	*) [ -z "$bad" ] || fail "$name: $bad" ;;
	esac
	[ -n "$bad" ] && SKIP_CASE=1
	[ -z "$bad" ] && ok "$name: no crash, valid JSON Lines ending in a stats object"
	if [ "$SAN" = 0 ] && [ "$rss" != - ]; then
		if "$PY" "$W/chk.py" "$D" "d['rss_kb'] < $rss * 1024"; then
			ok "$name: peak RSS under $rss MiB"
		elif "$PY" "$W/chk.py" "$D" "d['rss_kb'] <= d['rss_floor_kb'] * 1.05"; then
			echo "# $name: peak RSS not measurable below the runner's own image (no /usr/bin/time)"
		else
			fail "$name: peak RSS over $rss MiB"
		fi
	fi
}

# check NAME DESCRIPTION EXPR (not run after a broken run: its failure is already reported)
check() {
	[ "$SKIP_CASE" = 1 ] && return
	if "$PY" "$W/chk.py" "$D" "$3"; then ok "$1: $2"; else fail "$1: $2  [$3]"; fi
}
# check_known NAME ID DESCRIPTION EXPR: a check that may be listed in KNOWN_BUGS
check_known() {
	[ "$SKIP_CASE" = 1 ] && return
	local known=0
	case " $KNOWN_BUGS " in *" $1:$2 "*) known=1 ;; esac
	if "$PY" "$W/chk.py" "$D" "$4"; then
		if [ "$known" = 1 ]; then fail "$1: XPASS $3 (fixed: remove $1:$2 from KNOWN_BUGS)"; else ok "$1: $3"; fi
	elif [ "$known" = 1 ]; then
		echo "XFAIL - $1: $3 (known bug $1:$2)  [$4]"
	else
		fail "$1: $3  [$4]"
	fi
}

cases=${HOSTILE_ONLY:-"smtp_base syn_flood syn_ref hash_flood oom ooo_flood ooo_mid endless_line huge_reply spdu_overrun
	tpkt_short nested_pgi endless_tsdu caplen_snaplen caplen_huge pcapng_unknown
	pcapng_bad_trailer pcapng_bad_len pcapng_huge_block pcapng_huge_time truncated"}
want() { case " $(echo $cases) " in *" $1 "*) return 0 ;; esac; return 1; }
# shellcheck disable=SC2086
gen_cases=$(for c in $cases; do [ "$c" = oom ] || echo "$c"; done)
# shellcheck disable=SC2086
[ -z "$gen_cases" ] || "$PY" "$MTA_SRC/tests/gen/gen_hostile.py" "$W" --syn-count "$SYN_COUNT" $gen_cases >/dev/null ||
	{ echo "FAIL - gen_hostile.py"; exit 1; }
# the capture-format cases compare with the same session in a plain pcap
want smtp_base || "$PY" "$MTA_SRC/tests/gen/gen_hostile.py" "$W" smtp_base >/dev/null

# ---- connection cap ------------------------------------------------------------------------
if want syn_flood; then
	hostile syn_flood "$W/syn_flood.pcap" 180 512 160
	evict=$((SYN_COUNT > 65536 ? SYN_COUNT - 65536 : 0))
	check syn_flood "exit 0, nothing on stderr" 'd["rc"] == 0 and not err_lines'
	check syn_flood "all $SYN_COUNT frames read, every connection tracked (none lost to the memory limit)" \
		"S['frames'] == $SYN_COUNT and S['connections'] == $SYN_COUNT"
	check syn_flood "the cap of 65536 holds: $evict connections evicted" "S['conns_evicted'] == $evict"
	# The contract asks for an smtpdiag.memcap note when the cap drops a connection's state;
	# at most one per evicted connection.
	if [ "$evict" -gt 0 ]; then
		check syn_flood "smtpdiag.memcap reported (1..$evict times)" "1 <= n('smtpdiag.memcap') <= $evict"
	fi
	rm -f "$W/syn_flood.pcap"
fi

# ---- hash flooding: one hash chain ---------------------------------------------------------
# 65 536 SYNs in one bucket against 65 536 ordinary ones: with a seed the sender cannot know the
# cost is the same; with the public default seed every lookup walks the whole chain (~2*10^9
# steps).  Bound: 4x the reference CPU time + 2 s.
if want hash_flood; then
	want syn_ref || "$PY" "$MTA_SRC/tests/gen/gen_hostile.py" "$W" syn_ref >/dev/null
	hostile syn_ref "$W/syn_ref.pcap" 120 1536 -
	ref_cpu=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["cpu"])' "$D")
	check syn_ref "65536 connections, none evicted" "S['connections'] == 65536 and S['conns_evicted'] == 0"
	hostile hash_flood "$W/hash_flood.pcap" 600 1536 -
	check hash_flood "65536 connections tracked" "S['connections'] == 65536 and d['rc'] == 0"
	check_known hash_flood collisions "CPU time within 4x that of 65536 ordinary SYNs + 2 s (ref ${ref_cpu} s)" \
		"d['cpu'] <= 4 * $ref_cpu + 2"
fi

# ---- out of memory: allocation failures are counted and said, not silent --------------------
# 65 536 SYNs under a 32 MiB address-space limit (far below what tracking them needs): every
# connection is either tracked or counted in stats.alloc_failures, and stderr says so.  Not in
# sanitizer builds (no address-space limit there).
if want oom && [ "$SAN" = 0 ]; then
	want syn_ref || want hash_flood || "$PY" "$MTA_SRC/tests/gen/gen_hostile.py" "$W" syn_ref >/dev/null
	hostile oom "$W/syn_ref.pcap" 120 32 -
	check oom "exit 0" 'd["rc"] == 0'
	check oom "allocation failures counted" "S['alloc_failures'] > 0"
	check oom "every SYN tracked or counted as an allocation failure" \
		"S['connections'] + S['alloc_failures'] >= 65536"
	check oom "stderr says how many connections were not analysed" \
		"len(err_lines) == 1 and 'out of memory' in err_lines[0] and str(S['alloc_failures']) in err_lines[0]"
fi

# ---- reassembly buffer cap -----------------------------------------------------------------
# the reference for the two out-of-order cases: the same body in order
if want ooo_flood || want ooo_mid; then
	"$PY" "$MTA_SRC/tests/gen/gen_hostile.py" "$W" ooo_none >/dev/null
	hostile ooo_none "$W/ooo_none.pcap" 60 512 12
	check ooo_none "exit 0, nothing buffered: no cap hit, no finding" \
		"d['rc'] == 0 and S['buf_cap_hits'] == 0 and not d['codes']"
	ref_ooo=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["cpu"])' "$D")
	rm -f "$W/ooo_none.pcap"
fi
if want ooo_flood; then
	hostile ooo_flood "$W/ooo_flood.pcap" 60 512 12
	check ooo_flood "exit 0" 'd["rc"] == 0'
	check ooo_flood "reassembly cap reached (buf_cap_hits > 0)" "S['buf_cap_hits'] > 0"
	check ooo_flood "smtpdiag.memcap reported once (one direction flooded), not once per cap hit" \
		"n('smtpdiag.memcap') == 1"
	check ooo_flood "segments filling holes the cap gave up are late, not re-sent: no smtpdiag.retransmission" \
		"n('smtpdiag.retransmission') == 0"
	check ooo_flood "the SMTP session is summarised (DATA transaction open)" \
		"len(summ('smtp_session')) == 1 and summ('smtp_session')[0]['transactions'][0]['data'] is not None"
	[ -z "${ref_ooo:-}" ] || check ooo_flood "CPU time within 10x that of the same body in order + 2 s (${ref_ooo} s)" \
		"d['cpu'] <= 10 * $ref_ooo + 2"
	rm -f "$W/ooo_flood.pcap"
fi

# ---- out-of-order segments in the reassembler's worst order ----------------------------------
# Each segment lands in the middle of the buffered list (up to 4 096 entries), which is walked
# from its nearer end: half a full list per segment.  Bound, for it and for ooo_flood above: 10x
# the CPU of the same body sent in order (nothing buffered) + 2 s.  Walking from the head, as
# the list once did, took 3.6 s (ooo_mid) and 4.7 s (ooo_flood) against ~0.02 s in order; now
# 0.65 s and 0.45 s (1.1 s and 0.7 s in the sanitizer build).
if want ooo_mid; then
	hostile ooo_mid "$W/ooo_mid.pcap" 60 512 12
	check ooo_mid "exit 0, the cap reached, one memcap note, no retransmission" \
		"d['rc'] == 0 and S['buf_cap_hits'] > 0 and n('smtpdiag.memcap') == 1 and n('smtpdiag.retransmission') == 0"
	[ -z "${ref_ooo:-}" ] || check ooo_mid "CPU time within 10x that of the same body in order + 2 s (${ref_ooo} s)" \
		"d['cpu'] <= 10 * $ref_ooo + 2"
	rm -f "$W/ooo_mid.pcap"
fi

# ---- SMTP line and reply sizes -------------------------------------------------------------
if want endless_line; then
	hostile endless_line "$W/endless_line.pcap" 60 512 12
	check endless_line "exit 0" 'd["rc"] == 0'
	check endless_line "exactly one smtpdiag.protocol_violation, on the first segment past the line limit" \
		"n('smtpdiag.protocol_violation') == 1 and frames('smtpdiag.protocol_violation') == [9]"
	check endless_line "no other finding" "sum(d['codes'].values()) == 1"
	rm -f "$W/endless_line.pcap"
fi

if want huge_reply; then
	hostile huge_reply "$W/huge_reply.pcap" 60 512 12
	check huge_reply "exit 0, no finding (a long multi-line reply is legal)" \
		'd["rc"] == 0 and not d["codes"]'
	check huge_reply "the session stays in step: EHLO, then QUIT answered by 221" \
		"summ('smtp_session')[0]['helo_verb'] == 'EHLO' and summ('smtp_session')[0]['end']['how'] == 'quit'"
	check huge_reply "extensions kept are bounded (<= 32)" \
		"0 < len(summ('smtp_session')[0]['extensions']) <= 32"
	rm -f "$W/huge_reply.pcap"
fi

# ---- OSI framing, SPDU lengths, nesting, TSDU size -----------------------------------------
osi_end_release='len(summ("osi_association")) == 1 and summ("osi_association")[0]["end"]["how"] == "release"'
if want spdu_overrun; then
	hostile spdu_overrun "$W/spdu_overrun.pcap" 60 512 12
	check spdu_overrun "osidiag.spdu_overrun once, at frame 9" "frames('osidiag.spdu_overrun') == [9]"
	check spdu_overrun "no other finding" "sum(d['codes'].values()) == 1"
	check spdu_overrun "the association continues to its release" "$osi_end_release"
	check spdu_overrun "exit 0" 'd["rc"] == 0'
fi

if want tpkt_short; then
	hostile tpkt_short "$W/tpkt_short.pcap" 60 512 12
	check tpkt_short "osidiag.tpkt_bad_header once, at frame 8" "frames('osidiag.tpkt_bad_header') == [8]"
	check tpkt_short "no other finding" "sum(d['codes'].values()) == 1"
	check tpkt_short "framing recovered: the next DT decoded (20 user octets), then the release" \
		"summ('osi_association')[0]['counts']['user_octets_c2s'] == 20 and $osi_end_release"
fi

if want nested_pgi; then
	hostile nested_pgi "$W/nested_pgi.pcap" 60 512 12
	check nested_pgi "exit 0" 'd["rc"] == 0'
	check nested_pgi "CN and AC decoded despite the nesting (version 2 at frames 6 and 7)" \
		"summ('osi_association')[0]['cn']['frame'] == 6 and summ('osi_association')[0]['ac']['frame'] == 7 and summ('osi_association')[0]['cn']['version'] == 2"
	check nested_pgi "the association continues to its release" "$osi_end_release"
fi

if want endless_tsdu; then
	hostile endless_tsdu "$W/endless_tsdu.pcap" 60 512 12
	check endless_tsdu "osidiag.memcap once (the TSDU cap)" "n('osidiag.memcap') == 1"
	check endless_tsdu "no other finding" "sum(d['codes'].values()) == 1"
	check endless_tsdu "the association continues to its release" "$osi_end_release"
	rm -f "$W/endless_tsdu.pcap"
fi

# ---- capture file damage -------------------------------------------------------------------
if want caplen_snaplen; then
	hostile caplen_snaplen "$W/caplen_snaplen.pcap" 60 512 12
	# libpcap cuts records longer than the file's snapshot length (64) to it: the engine sees
	# truncated frames, counts them and reports the missing octets as capture gaps.
	long=$("$PY" -c 'import struct,sys
b=open(sys.argv[1],"rb").read(); o=24; n=0
while o+16<=len(b):
    c=struct.unpack("<I",b[o+8:o+12])[0]; n+=c>64; o+=16+c
print(n)' "$W/caplen_snaplen.pcap")
	check caplen_snaplen "exit 0, all 16 frames read" 'd["rc"] == 0 and S["frames"] == 16'
	check caplen_snaplen "the $long records longer than the snaplen are counted as truncated" \
		"S['truncated'] == $long and $long > 0"
	check caplen_snaplen "the cut octets are reported as smtpdiag.tcp_gap" "n('smtpdiag.tcp_gap') > 0"
	check caplen_snaplen "the RST (headers only) is still seen: smtpdiag.rst at frame 16" \
		"frames('smtpdiag.rst') == [16]"
	check caplen_snaplen "the greeting was cut: no \"command before the greeting\" violation" \
		"n('smtpdiag.protocol_violation') == 0"
fi

if want caplen_huge; then
	hostile caplen_huge "$W/caplen_huge.pcap" 60 512 12
	check caplen_huge "exit 2 (corrupt input), one stderr line naming the file, frame and length" \
		"d['rc'] == 2 and len(err_lines) == 1 and 'caplen_huge.pcap: corrupt capture after frame 6' in err_lines[0] and '300000' in err_lines[0]"
	check caplen_huge "the 6 frames before the damage are analysed and reported" \
		"S['frames'] == 6 and len(summ('smtp_session')) == 1"
fi

if want smtp_base; then
	hostile smtp_base "$W/smtp_base.pcap" 60 512 12
	check smtp_base "reference session: reply_error@8, rst@16, message_lost@16" \
		"frames('smtpdiag.reply_error') == [8] and frames('smtpdiag.rst') == [16] and frames('smtpdiag.message_lost') == [16] and sum(d['codes'].values()) == 3"
fi

if want pcapng_unknown; then
	hostile pcapng_unknown "$W/pcapng_unknown.pcapng" 60 512 12
	check pcapng_unknown "exit 0, nothing on stderr, 16 frames" \
		'd["rc"] == 0 and not err_lines and S["frames"] == 16'
	# the findings must be those of the same packets in a plain pcap
	"$MTADIAG" -r "$W/smtp_base.pcap" --json | grep '"kind":"finding"' >"$W/base.f"
	"$MTADIAG" -r "$W/pcapng_unknown.pcapng" --json | grep '"kind":"finding"' >"$W/ng.f"
	if [ -s "$W/base.f" ] && cmp -s "$W/base.f" "$W/ng.f"; then
		ok "pcapng_unknown: unknown, custom and name-resolution blocks skipped: same findings as the plain pcap"
	else
		fail "pcapng_unknown: findings differ from the plain pcap: $(diff "$W/base.f" "$W/ng.f" | head -5)"
	fi
fi

for k in pcapng_bad_trailer:"don't match" pcapng_bad_len:"length of 8" pcapng_huge_block:"2147483632"; do
	name=${k%%:*} why=${k#*:}
	want "$name" || continue
	hostile "$name" "$W/$name.pcapng" 60 512 12
	check "$name" "exit 2, one stderr line: corrupt after frame 8 ($why)" \
		"d['rc'] == 2 and len(err_lines) == 1 and '$name.pcapng: corrupt capture after frame 8' in err_lines[0] and \"$why\" in err_lines[0]"
	check "$name" "frames before the damage analysed: smtpdiag.reply_error at frame 8" \
		"S['frames'] == 8 and frames('smtpdiag.reply_error') == [8]"
done

if want pcapng_huge_time; then
	hostile pcapng_huge_time "$W/pcapng_huge_time.pcapng" 60 512 12
	check pcapng_huge_time "all 16 frames read; the reply error before the time jump reported at frame 8" \
		"S['frames'] == 16 and frames('smtpdiag.reply_error') == [8]"
	check pcapng_huge_time "the RST after the jump reported at frame 16" "frames('smtpdiag.rst') == [16]"
fi

if want truncated; then
	hostile truncated "$W/truncated.pcap" 60 512 12
	check truncated "exit 0 with one warning: truncated after frame 8" \
		"d['rc'] == 0 and len(err_lines) == 1 and 'truncated.pcap: truncated capture after frame 8' in err_lines[0]"
	check truncated "analysed up to the cut: smtpdiag.reply_error at frame 8, 8 frames" \
		"S['frames'] == 8 and frames('smtpdiag.reply_error') == [8]"
fi

echo "# $passes passed, $fails failed (known bugs: $KNOWN_BUGS)"
[ "$fails" = 0 ]
