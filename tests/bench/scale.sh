#!/bin/bash
# scale.sh — mtadiag's memory against the number of sessions and of open connections.
#
# 1. Sessions in sequence: BASE x 1, 10, 100, 1000 SMTP sessions (small bodies, 2-3 open at a time,
#    5 new per capture second) that all end.  Finished connections are released, so peak RSS
#    must stay flat however long the capture is.  (The engine keeps a closed connection for
#    close_linger = 120 s of capture time; at 5 sessions/s that is ~600 connections, reached
#    from 10x on.)  Both output modes: --json streams everything; the text report keeps the
#    per-session blocks until the end of the file, so it grows with sessions.
# 2. Connections open at once: OPEN (default 1000 10000 50000 100000) SMTP connections that
#    all stop in the middle of DATA and stay open to the end of the capture.  RSS grows with
#    open connections only; the cost per connection is dRSS/dconnections.  Beyond the cap
#    (max_conns, 65536 by default) the oldest are evicted (memcap findings): RSS stops growing.
#
#   tests/bench/scale.sh            environment: BUILD, MTADIAG, BENCH_DIR, BASE=100,
#                                   OPEN="1000 10000 50000 100000", RUNS=1
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$SRC/build}
MTADIAG=${MTADIAG:-$BUILD/mtadiag}
BENCH_DIR=${BENCH_DIR:-$BUILD/bench}
BASE=${BASE:-100}
OPEN=${OPEN:-1000 10000 50000 100000}
RUNS=${RUNS:-1}
GEN=$SRC/tests/bench/gen_bench.py
PY=/usr/bin/python3

die() { echo "scale.sh: $*" >&2; exit 2; }
[ -x "$MTADIAG" ] || die "no mtadiag at $MTADIAG"
[ -x /usr/bin/time ] || die "/usr/bin/time missing (Debian package 'time')"
mkdir -p "$BENCH_DIR"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# make NAME KIND ARGS...: cached capture, regenerated when the generator or arguments change
make_cap() {
	local name=$1 f stamp
	shift
	f=$BENCH_DIR/$name.pcap
	stamp="$(sha256sum "$GEN" | cut -c1-16) $*"
	if [ ! -s "$f" ] || [ "$(cat "$f.stamp" 2>/dev/null)" != "$stamp" ]; then
		echo "generating $f ($*)" >&2
		$PY "$GEN" "$1" "$f.tmp" "${@:2}" >&2
		mv "$f.tmp" "$f"
		echo "$stamp" > "$f.stamp"
	fi
	echo "$f"
}

# run_rss FILE ARGS...: median "wall maxrss_kb" of RUNS runs
run_rss() {
	local f=$1
	shift
	for _ in $(seq 1 "$RUNS"); do
		/usr/bin/time -f '%e %M' -o "$T/t" "$MTADIAG" -r "$f" "$@" > /dev/null 2>&1 || true
		tail -1 "$T/t"
	done | sort -n -k2 | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }'
}

stat_of() { # FILE -> "packets connections evicted"
	"$MTADIAG" -r "$1" --json 2>/dev/null | tail -1 |
		$PY -c 'import json,sys; s=json.loads(sys.stdin.read()); print(s["frames"], s["connections"], s["conns_evicted"])'
}

echo "== sessions in sequence (all end): peak RSS must stay flat"
echo "| sessions | packets | MB | --json wall s | --json peak RSS MB | text report peak RSS MB |"
echo "|---:|---:|---:|---:|---:|---:|"
declare -A MJ MT
for k in 1 10 100 1000; do
	n=$((BASE * k))
	f=$(make_cap "seq_$n" smtp --sessions "$n" --mean-body 2000 --rate 5 --gap-ms 20 --seed 5)
	read -r pk _ _ <<< "$(stat_of "$f")"
	read -r wj mj <<< "$(run_rss "$f" --json)"
	read -r _ mt <<< "$(run_rss "$f")"
	MJ[$k]=$mj
	MT[$k]=$mt
	awk -v n="$n" -v pk="$pk" -v by="$(stat -c %s "$f")" -v wj="$wj" -v mj="$mj" -v mt="$mt" \
		'BEGIN { printf "| %d | %d | %.0f | %.2f | %.1f | %.1f |\n", n, pk, by / 1e6, wj, mj / 1024, mt / 1024 }'
done

# flat: across the 10x, 100x and 1000x runs peak RSS varies by at most 10 % (of the smallest)
flat() { # LABEL KB10 KB100 KB1000
	awk -v l="$1" -v a="$2" -v b="$3" -v c="$4" 'BEGIN {
		lo = a; hi = a; if (b < lo) lo = b; if (c < lo) lo = c; if (b > hi) hi = b; if (c > hi) hi = c
		printf "%s  peak RSS flat across %sx/%sx/%sx sessions (%s): %.1f / %.1f / %.1f MB (%+.0f %%)\n",
			(hi - lo <= 0.10 * lo) ? "PASS" : "MISS", 10, 100, 1000, l, a / 1024, b / 1024, c / 1024,
			100 * (hi - lo) / lo }'
}
echo
flat "--json" "${MJ[10]}" "${MJ[100]}" "${MJ[1000]}"
flat "text report" "${MT[10]}" "${MT[100]}" "${MT[1000]}"

echo
echo "== connections open at once: RSS grows with open connections only"
echo "| open connections | packets | tracked at end | evicted | peak RSS MB | bytes per connection (dRSS/dconn vs previous row) |"
echo "|---:|---:|---:|---:|---:|---:|"
prev_n=0
prev_m=0
for n in $OPEN; do
	f=$(make_cap "open_$n" open --sessions "$n" --seed 9)
	read -r pk conns ev <<< "$(stat_of "$f")"
	read -r _ m <<< "$(run_rss "$f" --json)"
	per="-"
	if [ "$ev" -gt 0 ]; then
		per="cap reached: LRU eviction"
	elif [ "$prev_n" -gt 0 ]; then
		per=$(( (m - prev_m) * 1024 / (n - prev_n) ))
	fi
	awk -v n="$n" -v pk="$pk" -v tr="$((conns - ev))" -v ev="$ev" -v m="$m" -v per="$per" \
		'BEGIN { printf "| %d | %d | %d | %d | %.1f | %s |\n", n, pk, tr, ev, m / 1024, per }'
	prev_n=$n
	prev_m=$m
done
