#!/bin/bash
# run.sh — mtadiag against tshark, the libpcap floor and tcpdump on the same captures.
#
# One command from a fresh clone:  tests/bench/run.sh
# Configures and builds the tree into $BUILD when needed (cmake, RelWithDebInfo; an existing
# build is brought up to date), generates the benchmark captures once (cached in $BENCH_DIR, regenerated when gen_bench.py or
# its arguments change), builds tests/bench/floor.c into a temporary directory, then runs every
# tool RUNS times on every capture, interleaved (run 1 of each tool, then run 2, ...), under
# tests/bench/runtime.c (wait4(2) figures to the microsecond; /usr/bin/time prints hundredths,
# too coarse for the floor's few hundredths of a second).  Prints the medians of wall time, CPU time (user+sys) and peak RSS, packets per
# second and the ratios, and the targets with PASS/MISS.
#
#   tests/bench/run.sh [CAPTURE ...]      CAPTURE: smtp conns osi (default: all three)
#
# Environment:
#   BUILD=build           build directory (mtadiag, plugin home)   MTADIAG=$BUILD/mtadiag
#   NO_BUILD=1            do not configure/build (use what is in $BUILD / $MTADIAG)
#   BENCH_DIR=$BUILD/bench  cached captures                        RUNS=3
#   TSHARK_PLUGINS=auto|no  include "tshark + our plugins" when the build made them
#   RESULTS=FILE          also write the raw per-run figures (TSV) to FILE
#   MTADIAG2=PATH         also time a second mtadiag binary (e.g. a candidate change)
#
# tshark is run as "stock" in a user namespace with an empty HOME (unshare -U: tshark sees
# uid 65534, so it loads the global plugins of the installation and the personal plugin dir of
# that empty HOME - none), and "with our plugins" the same way with HOME=$BUILD/home, where the
# build links smtpdiag.so/osidiag.so into the personal plugin dir.  So the two rows differ by
# our plugins only.  Without unshare (not root, or no user namespaces) tshark is run directly.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$SRC/build}
MTADIAG=${MTADIAG:-$BUILD/mtadiag}
BENCH_DIR=${BENCH_DIR:-$BUILD/bench}
RUNS=${RUNS:-3}
TSHARK_PLUGINS=${TSHARK_PLUGINS:-auto}
GEN=$SRC/tests/bench/gen_bench.py
PY=/usr/bin/python3

die() { echo "run.sh: $*" >&2; exit 2; }
if [ -z "${NO_BUILD:-}" ] && [ "$MTADIAG" = "$BUILD/mtadiag" ]; then
	command -v cmake >/dev/null || die "cmake missing (or build yourself and set NO_BUILD=1)"
	if [ ! -f "$BUILD/CMakeCache.txt" ]; then
		echo "configuring $BUILD" >&2
		cmake -S "$SRC" -B "$BUILD" >&2 || die "cmake configure failed"
	fi
	echo "building $BUILD" >&2
	cmake --build "$BUILD" -j"$(nproc)" >&2 || die "build failed"
fi
[ -x "$MTADIAG" ] || die "no mtadiag at $MTADIAG (build first: cmake -S . -B build && cmake --build build -j2)"
command -v tshark >/dev/null || die "tshark missing"
command -v pkg-config >/dev/null && pkg-config --exists libpcap || die "libpcap-dev / pkg-config missing"
mkdir -p "$BENCH_DIR"

CAPS=("$@")
[ ${#CAPS[@]} -gt 0 ] || CAPS=(smtp conns osi)

# name -> generator arguments.  smtp: ~0.5 M packets / ~230 MB (the size of the published
# tshark figures); conns: ~2 M packets, 60 000 short sessions; osi: ~0.5 M packets of RTS.
gen_args() {
	case $1 in
	smtp)  echo "smtp --sessions 13000 --mean-body 15000 --rate 5 --gap-ms 100 --seed 7" ;;
	conns) echo "smtp --sessions 60000 --mean-body 2000 --client-acks --rate 50 --gap-ms 50 --seed 11" ;;
	osi)   echo "osi --sessions 5500 --mean-body 12000 --rate 2 --gap-ms 50 --seed 3" ;;
	*) die "unknown capture '$1' (smtp, conns, osi)" ;;
	esac
}

# Generate (or reuse) $BENCH_DIR/NAME.pcap; the stamp holds the generator's hash + arguments.
capture() {
	local name=$1 args stamp f
	args=$(gen_args "$name")
	f=$BENCH_DIR/$name.pcap
	stamp="$(sha256sum "$GEN" | cut -c1-16) $args"
	if [ ! -s "$f" ] || [ "$(cat "$f.stamp" 2>/dev/null)" != "$stamp" ]; then
		echo "generating $f ($args)" >&2
		# shellcheck disable=SC2086
		$PY "$GEN" ${args%% *} "$f.tmp" ${args#* } >&2
		mv "$f.tmp" "$f"
		echo "$stamp" > "$f.stamp"
	fi
}

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# shellcheck disable=SC2046  # pkg-config output is meant to be split
cc -O2 -o "$T/floor" "$SRC/tests/bench/floor.c" $(pkg-config --cflags --libs libpcap) \
	|| die "cannot build floor.c"
cc -O2 -o "$T/runtime" "$SRC/tests/bench/runtime.c" || die "cannot build runtime.c"

# tshark launchers
EMPTY_HOME=$T/home
mkdir -p "$EMPTY_HOME"
TS_STOCK=(env HOME="$EMPTY_HOME" tshark)
TS_PLUG=(env HOME="$BUILD/home" tshark)
if [ "$(id -u)" = 0 ] && unshare -U true 2>/dev/null; then
	TS_STOCK=(unshare -U "${TS_STOCK[@]}")
	TS_PLUG=(unshare -U "${TS_PLUG[@]}")
	TS_MODE="unshare -U (uid 65534 view), HOME per row"
else
	TS_MODE="as $(id -un), HOME per row"
fi
HAVE_PLUG=no
if [ "$TSHARK_PLUGINS" != no ] && ls "$BUILD"/home/.local/lib/wireshark/plugins/*/epan/*.so >/dev/null 2>&1; then
	if "${TS_PLUG[@]}" -G plugins 2>/dev/null | grep -qE '^(smtpdiag|osidiag)\.so'; then
		HAVE_PLUG=yes
	else
		echo "run.sh: plugins found in $BUILD/home but tshark does not load them; row n/a" >&2
	fi
fi
if ls /usr/lib/*/wireshark/plugins/*/epan/{smtpdiag,osidiag}.so >/dev/null 2>&1; then
	echo "run.sh: warning: our plugins are installed globally; the 'stock' row includes them" >&2
fi

for c in "${CAPS[@]}"; do capture "$c"; done

RAW=$T/raw.tsv
: > "$RAW"
# one measured run: NAME TOOL CMD...
measure() {
	local cap=$1 tool=$2
	shift 2
	local out=$T/time.$$ rc=0
	"$T/runtime" "$out" "$@" 2> "$T/stderr" || rc=$?
	if [ $rc -gt 1 ]; then
		echo "run.sh: $tool on $cap exited $rc:" >&2
		tail -3 "$T/stderr" >&2
	fi
	printf '%s\t%s\t%s\n' "$cap" "$tool" "$(tail -1 "$out" | tr ' ' '\t')" >> "$RAW"
}

declare -A PKTS BYTES
for c in "${CAPS[@]}"; do
	f=$BENCH_DIR/$c.pcap
	read -r _ PKTS[$c] _ _ _ < <("$T/floor" "$f")
	BYTES[$c]=$(stat -c %s "$f")
	cat "$f" > /dev/null # warm the page cache
done

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq 1 "$RUNS"); do
	for c in "${CAPS[@]}"; do
		f=$BENCH_DIR/$c.pcap
		echo "run $r/$RUNS: $c" >&2
		measure "$c" mtadiag "$MTADIAG" -r "$f" --json
		measure "$c" mtadiag@25% "$MTADIAG" -r "$f" --json -c $((PKTS[$c] / 4))
		if [ -n "${MTADIAG2:-}" ]; then
			measure "$c" mtadiag2 "$MTADIAG2" -r "$f" --json
		fi
		measure "$c" floor "$T/floor" "$f"
		measure "$c" tcpdump tcpdump -r "$f" -w /dev/null
		measure "$c" tshark "${TS_STOCK[@]}" -r "$f" -q -z expert
		if [ $HAVE_PLUG = yes ]; then
			measure "$c" tshark+plugins "${TS_PLUG[@]}" -r "$f" -q -z expert
		fi
	done
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
[ -n "${RESULTS:-}" ] && cp "$RAW" "$RESULTS"

echo
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r)"
echo "tools:   $("$MTADIAG" --version 2>/dev/null | head -1) ($(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?')),"\
	"$(tshark --version 2>/dev/null | head -1), $(tcpdump --version 2>&1 | grep -m1 libpcap)"
echo "tshark:  $TS_MODE; plugins row: $HAVE_PLUG"
echo "runs:    $RUNS per cell, medians; load average before $LOAD0, after $LOAD1"
echo

caps_info=""
for c in "${CAPS[@]}"; do caps_info+="$c=${PKTS[$c]}:${BYTES[$c]} "; done
$PY - "$RAW" "$HAVE_PLUG" $caps_info <<'PY'
import statistics, sys
raw, have_plug = sys.argv[1], sys.argv[2] == "yes"
info = {}
for a in sys.argv[3:]:
    name, v = a.split("=")
    p, b = v.split(":")
    info[name] = (int(p), int(b))
cells = {}
for line in open(raw):
    cap, tool, e, u, s, m = line.split("\t")
    cells.setdefault((cap, tool), []).append((float(e), float(u) + float(s), int(m)))
def med(cap, tool, i):
    v = cells.get((cap, tool))
    return statistics.median(x[i] for x in v) if v else None
tools = ["mtadiag", "mtadiag@25%", "mtadiag2", "tshark", "tshark+plugins", "floor", "tcpdump"]
label = {"mtadiag": "mtadiag -r F --json", "mtadiag2": "MTADIAG2 -r F --json", "mtadiag@25%": "mtadiag ... -c N/4 (first quarter)", "tshark": "tshark -q -z expert (stock)",
         "tshark+plugins": "tshark -q -z expert + our plugins", "floor": "libpcap floor (floor.c)",
         "tcpdump": "tcpdump -r F -w /dev/null"}
print("| capture | command | wall s | CPU s | peak RSS MB | packets/s (wall) | packets/s (CPU) | MiB/s (wall) |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for cap in info:
    pk, by = info[cap]
    for t in tools:
        e = med(cap, t, 0)
        if e is None:
            if t == "tshark+plugins":
                print("| %s | %s | n/a | n/a | n/a | n/a | n/a | n/a |" % (cap, label[t]))
            continue
        c, m = med(cap, t, 1), med(cap, t, 2)
        def fmt_rate(x):
            return "%.2f M" % (x / 1e6) if x >= 1e6 else "%.0f k" % (x / 1e3)
        print("| %s | %s | %.3f | %.3f | %.0f | %s | %s | %.0f |" % (
            cap, label[t], e, c, m / 1024, fmt_rate(pk / max(e, 1e-6)), fmt_rate(pk / max(c, 1e-6)),
            by / 1048576 / max(e, 1e-6)))
print()
print("| capture | packets | MB | mtadiag speed-up vs tshark (wall / CPU) | mtadiag / floor (wall / CPU) | plugins / stock tshark (wall / CPU) | mtadiag RSS KB per 1k packets | tshark RSS KB per 1k packets |%s" % (
    " MTADIAG2 vs tshark / floor (CPU) |" if any(k[1] == "mtadiag2" for k in cells) else ""))
print("|---|---:|---:|---:|---:|---:|---:|---:|%s" % ("---:|" if any(k[1] == "mtadiag2" for k in cells) else ""))
verdict = []
def r(a, b):
    return a / b if a and b else float("nan")
def cpu(cap, tool):
    return [x[1] for x in cells.get((cap, tool), [])]
# A ratio target is judged twice: on the ratio of the medians (the table) and on the median of
# the ratios run by run (each run's tools are measured one after the other, so a run's ratio
# shares that moment's conditions).  On this kind of VM one noisy stretch can move one tool's
# median alone; a target passes only when both figures meet it.
def run_ratio(cap, num, den):
    a, b = cpu(cap, num), cpu(cap, den)
    if not a or len(a) != len(b):
        return float("nan")
    return statistics.median(x / max(y, 1e-6) for x, y in zip(a, b))
def worse(x, y, higher_is_worse):
    if y != y:  # nan: no run-by-run figure
        return x
    return max(x, y) if higher_is_worse else min(x, y)
for cap in info:
    pk, by = info[cap]
    me, mc, mm = (med(cap, "mtadiag", i) for i in range(3))
    te, tc, tm = (med(cap, "tshark", i) for i in range(3))
    fe, fc = med(cap, "floor", 0), med(cap, "floor", 1)
    pe, pc = med(cap, "tshark+plugins", 0), med(cap, "tshark+plugins", 1)
    c2 = med(cap, "mtadiag2", 1)
    print("| %s | %d | %.0f | %.1f× / %.1f× | %.1f× / %.1f× | %s | %.1f | %.0f |%s" % (
        cap, pk, by / 1e6, r(te, me), r(tc, mc), r(me, fe), r(mc, max(fc, 1e-6)),
        "%.2f× / %.2f×" % (r(pe, te), r(pc, tc)) if pe else "n/a", mm / pk * 1000, tm / pk * 1000,
        " %.1f× / %.1f× |" % (r(tc, c2), r(c2, max(fc, 1e-6))) if c2 else ""))
    x, y = r(tc, mc), run_ratio(cap, "tshark", "mtadiag")
    verdict.append(("%s: mtadiag >= 10x faster than tshark -q -z expert (CPU %.1fx of the medians, "
                    "%.1fx run by run; wall %.1fx)" % (cap, x, y, r(te, me)), worse(x, y, False) >= 10))
    if cap == "smtp":
        x, y = r(mc, max(fc, 1e-6)), run_ratio(cap, "mtadiag", "floor")
        verdict.append(("%s: mtadiag within 2x of the libpcap floor (CPU %.1fx of the medians, "
                        "%.1fx run by run; wall %.1fx)" % (cap, x, y, r(me, fe)), worse(x, y, True) <= 2))
    verdict.append(("%s: mtadiag peak RSS <= 64 MB (%.1f MB)" % (cap, mm / 1024), mm <= 64 * 1024))
    if pc:
        x, y = r(pc, tc), run_ratio(cap, "tshark+plugins", "tshark")
        verdict.append(("%s: tshark + our plugins <= 1.10x stock tshark (CPU %.2fx of the medians, "
                        "%.2fx run by run; wall %.2fx)" % (cap, x, y, r(pe, te)), worse(x, y, True) <= 1.10))
    # RSS flat with packets: the whole capture against its first quarter (mtadiag -c)
    qm = med(cap, "mtadiag@25%", 2)
    if qm:
        dp = pk - pk // 4
        per = (mm - qm) * 1024 / dp
        verdict.append(("%s: peak RSS flat with packets: first quarter %.1f MB, whole %.1f MB "
                        "(%+.1f bytes/packet; tshark %.0f)" % (cap, qm / 1024, mm / 1024, per, tm * 1024 / pk),
                        per <= 10))
print()
for text, ok in verdict:
    print("%s  %s" % ("PASS" if ok else "MISS", text))
print("(verdicts on CPU time = user+sys: every tool here is single-threaded, so on an idle machine wall ~ CPU;")
print(" a ratio target passes only when both the ratio of the medians and the median of the run-by-run ratios meet it;")
print(" CPU time is not inflated by other load on the machine.  Times are wait4(2)'s, to the microsecond.)")
# The ratios run by run: the tools of one run are measured one after the other, so a run's
# ratio shares that moment's conditions; on a VM whose CPU time moves between runs of the same
# binary this shows how far a verdict can be trusted (the ratio verdicts above use the median
# of these too).
spread = []
for cap in info:
    for num, den, what in (("mtadiag", "floor", "mtadiag / floor"),
                           ("tshark+plugins", "tshark", "plugins / stock tshark")):
        a, b = cpu(cap, num), cpu(cap, den)
        if not a or not b or len(a) != len(b):
            continue
        rs = sorted(x / max(y, 1e-6) for x, y in zip(a, b))
        spread.append("%s: %s run by run %.2fx median, %.2fx-%.2fx; ratio of the minima %.2fx"
                      % (cap, what, statistics.median(rs), rs[0], rs[-1], min(a) / max(min(b), 1e-6)))
if spread and len(cells[next(iter(cells))]) > 1:
    print()
    print("CPU ratios run by run:")
    for line in spread:
        print("  " + line)
PY
