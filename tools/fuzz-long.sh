#!/bin/bash
# fuzz-long.sh — the longer fuzzing run: every libFuzzer harness (tests/fuzz/fuzz_*.c) for
# MINUTES minutes each, one after the other, with a corpus kept between runs.
#
#   tools/fuzz-long.sh [HARNESS ...]        (default: all harnesses)
#
# env: MINUTES   minutes per harness (default 5)
#      JOBS      parallel libFuzzer jobs per harness (default 1; each job is one process)
#      FUZZ_BUILD  the clang -DMTA_FUZZ=ON build directory (default build-fuzz; configured and
#                  built here when missing)
#
# Corpora grow in $FUZZ_BUILD/corpus/<harness>/ (seeded from tests/fuzz/corpus/<harness>/ and,
# for fuzz_pcap, pcaps/); crash, leak, timeout and OOM reproducers land in
# $FUZZ_BUILD/artifacts/<harness>/; logs in $FUZZ_BUILD/logs/.  The summary at the end gives,
# per harness, executions, edge coverage (libFuzzer's final "cov:"), features, corpus size
# and reproducers found, as a Markdown table for docs/hardening.md.
# A reproducer that shows a bug is reported as a bug; once fixed it is committed as
# tests/fuzz/corpus/<harness>/crash-<description> so the replay test keeps it fixed.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
MINUTES=${MINUTES:-5}
JOBS=${JOBS:-1}
FB=${FUZZ_BUILD:-$SRC/build-fuzz}
CC_FUZZ=${CC_FUZZ:-clang}

harnesses=${*:-$(cd "$SRC/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//')}
if [ ! -f "$FB/CMakeCache.txt" ]; then
	CC=$CC_FUZZ cmake -S "$SRC" -B "$FB" -DMTA_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DMTA_BUILD_PLUGINS=OFF >/dev/null || exit 1
fi
# shellcheck disable=SC2086
cmake --build "$FB" -j2 --target $harnesses >/dev/null || { echo "fuzz-long: build failed" >&2; exit 1; }

mkdir -p "$FB/logs"
cat "$SRC/tests/fuzz/smtp.dict" "$SRC/tests/fuzz/spdu.dict" >"$FB/logs/all.dict"
dict_for() {
	case $1 in
	fuzz_smtp_parse) echo "$SRC/tests/fuzz/smtp.dict" ;;
	fuzz_tpkt_cotp | fuzz_ses | fuzz_ber) echo "$SRC/tests/fuzz/spdu.dict" ;;
	fuzz_stream | fuzz_pcap) echo "$FB/logs/all.dict" ;;
	esac
}

summary=$FB/logs/summary.md
{
	echo "| harness | minutes | executions | exec/s | cov | ft | corpus | reproducers |"
	echo "|---|---|---|---|---|---|---|---|"
} >"$summary"
total_art=0
for h in $harnesses; do
	bin=$FB/tests/fuzz/$h
	corpus=$FB/corpus/$h
	art=$FB/artifacts/$h
	log=$FB/logs/$h.log
	mkdir -p "$corpus" "$art"
	seeds=()
	[ -d "$SRC/tests/fuzz/corpus/$h" ] && seeds+=("$SRC/tests/fuzz/corpus/$h")
	[ "$h" = fuzz_pcap ] && seeds+=("$SRC/pcaps")
	opts=(-max_total_time=$((MINUTES * 60)) -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
		-artifact_prefix="$art/")
	d=$(dict_for "$h")
	[ -n "$d" ] && opts+=(-dict="$d")
	[ "$h" = fuzz_stream ] && opts+=(-max_len=65536)
	echo "fuzz-long: $h for $MINUTES min ($JOBS job(s)); log $log" >&2
	if [ "$JOBS" -gt 1 ]; then
		# keep going after a crash so each job uses its whole time
		(cd "$FB/logs" && "$bin" "${opts[@]}" -jobs="$JOBS" -workers="$JOBS" -fork=0 \
			"$corpus" "${seeds[@]}" >"$log" 2>&1)
		cat "$FB/logs"/fuzz-*.log >>"$log" 2>/dev/null
		rm -f "$FB/logs"/fuzz-*.log
	else
		(cd "$FB/logs" && "$bin" "${opts[@]}" "$corpus" "${seeds[@]}" >"$log" 2>&1)
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | awk '{s += $1} END {print s + 0}')
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | awk '{s += $1} END {print s + 0}')
	fin=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE)' "$log" | tail -1)
	cov=$(echo "$fin" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$fin" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	nc=$(find "$corpus" -type f | wc -l)
	na=$(find "$art" -type f | wc -l)
	total_art=$((total_art + na))
	echo "| $h | $MINUTES | $execs | $rate | ${cov:-?} | ${ft:-?} | $nc | $na |" >>"$summary"
	find "$art" -type f | sed 's/^/  reproducer: /' >&2
done
cat "$summary"
[ "$total_art" = 0 ]
