#!/bin/bash
# test_fuzz_smoke.sh — CI smoke run of every libFuzzer harness (tests/fuzz/fuzz_*.c).
#
# Builds the harnesses with clang and -DMTA_FUZZ=ON into build-fuzz/ (or $FUZZ_BUILD) — an
# incremental build when that directory is already configured — then runs each one for
# FUZZ_SMOKE_SECS seconds (default 20) from its committed seeds (tests/fuzz/corpus/<name>/, and
# pcaps/ for the whole-capture harness) with its dictionary, an RSS limit and a per-input time
# limit.  The working corpus lives in a scratch directory: the repository is not written.
# A crash, leak, timeout or out-of-memory fails the test and the reproducer is printed and kept
# under $MTA_BUILD/fuzz-artifacts/ (replay it with: build-fuzz/tests/fuzz/<name> FILE).
# Exit 77 (skipped) when clang or the libFuzzer runtime is missing, and in the -DMTA_SANITIZE=ON
# build's test pass (the fuzzers carry their own sanitizers; the normal pass runs them).
#
# env: MTA_SRC, MTA_BUILD; FUZZ_BUILD, FUZZ_SMOKE_SECS, FUZZ_ONLY (space-separated harness names).
set -u
: "${MTA_SRC:?set MTA_SRC to the repository root}"
SECS=${FUZZ_SMOKE_SECS:-20}
FB=${FUZZ_BUILD:-$MTA_SRC/build-fuzz}
CC_FUZZ=${CC_FUZZ:-clang}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# The fuzzers are sanitizer builds of their own: running them again from the ASan test pass
# (tools/test.sh) would only repeat the normal pass.
if [ -n "${MTA_BUILD:-}" ] && grep -q '^MTA_SANITIZE:BOOL=ON' "$MTA_BUILD/CMakeCache.txt" 2>/dev/null; then
	echo "skip: sanitizer build; the fuzz smoke run belongs to the normal build's test pass"
	exit 77
fi
command -v "$CC_FUZZ" >/dev/null || { echo "skip: $CC_FUZZ not found"; exit 77; }
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; return (int)(n & 0); }' >"$T/probe.c"
"$CC_FUZZ" -fsanitize=fuzzer,address "$T/probe.c" -o "$T/probe" 2>"$T/probe.err" ||
	{ echo "skip: $CC_FUZZ cannot link libFuzzer: $(head -c 300 "$T/probe.err")"; exit 77; }

harnesses=${FUZZ_ONLY:-$(cd "$MTA_SRC/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//')}
if [ ! -f "$FB/CMakeCache.txt" ]; then
	echo "# configuring $FB"
	CC=$CC_FUZZ cmake -S "$MTA_SRC" -B "$FB" -DMTA_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DMTA_BUILD_PLUGINS=OFF >"$T/cfg.log" 2>&1 ||
		{ echo "FAIL - configuring the fuzz build"; tail -20 "$T/cfg.log"; exit 1; }
fi
grep -q '^MTA_FUZZ:BOOL=ON' "$FB/CMakeCache.txt" ||
	{ echo "FAIL - $FB is not a -DMTA_FUZZ=ON build"; exit 1; }
# shellcheck disable=SC2086
cmake --build "$FB" -j2 --target $harnesses >"$T/build.log" 2>&1 ||
	{ echo "FAIL - building the fuzzers"; grep -E 'error|Error' "$T/build.log" | head -20; exit 1; }

# dictionary per harness (the stream harnesses see both protocols)
cat "$MTA_SRC/tests/fuzz/smtp.dict" "$MTA_SRC/tests/fuzz/spdu.dict" >"$T/all.dict"
dict_for() {
	case $1 in
	fuzz_smtp_parse) echo "$MTA_SRC/tests/fuzz/smtp.dict" ;;
	fuzz_tpkt_cotp | fuzz_ses | fuzz_ber) echo "$MTA_SRC/tests/fuzz/spdu.dict" ;;
	fuzz_stream | fuzz_pcap) echo "$T/all.dict" ;;
	esac
}

ART=${MTA_BUILD:-$T}/fuzz-artifacts
mkdir -p "$ART"
fails=0
for h in $harnesses; do
	bin=$FB/tests/fuzz/$h
	[ -x "$bin" ] || { echo "FAIL - $h: not built"; fails=$((fails + 1)); continue; }
	mkdir -p "$T/corpus/$h"
	seeds=()
	[ -d "$MTA_SRC/tests/fuzz/corpus/$h" ] && seeds+=("$MTA_SRC/tests/fuzz/corpus/$h")
	[ "$h" = fuzz_pcap ] && seeds+=("$MTA_SRC/pcaps")
	opts=(-max_total_time="$SECS" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
		-artifact_prefix="$ART/$h-")
	d=$(dict_for "$h")
	[ -n "$d" ] && opts+=(-dict="$d")
	[ "$h" = fuzz_stream ] && opts+=(-max_len=65536)
	rm -f "$ART/$h"-*
	(cd "$T" && timeout $((SECS * 3 + 60)) "$bin" "${opts[@]}" "$T/corpus/$h" "${seeds[@]}" \
		>"$T/$h.log" 2>&1)
	rc=$?
	fin=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$T/$h.log" | tail -1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$T/$h.log" | tail -1)
	cov=$(echo "$fin" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	arts=$(ls "$ART/$h"-* 2>/dev/null)
	if [ "$rc" = 0 ] && [ -z "$arts" ] && [ -n "$fin" ]; then
		echo "ok - $h: ${execs:-?} executions in ${SECS}s, cov ${cov:-?}, no crash"
	else
		fails=$((fails + 1))
		echo "FAIL - $h: exit $rc"
		grep -E 'ERROR|SUMMARY|^    #[0-9]+ 0x.* in ' "$T/$h.log" | head -25 | sed 's/^/    /'
		for a in $arts; do
			echo "    reproducer: $a ($(wc -c <"$a") octets): $bin $a"
			head -c 256 "$a" | od -A x -t x1z | head -8 | sed 's/^/      /'
		done
	fi
done
[ "$fails" = 0 ]
