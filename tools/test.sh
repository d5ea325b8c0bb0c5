#!/bin/bash
# test.sh — build and run the whole test suite twice: a normal build (build/) and an
# AddressSanitizer + UndefinedBehaviorSanitizer build (build-asan/) that runs everything but the
# differential comparisons with tshark (label "tshark"), which check parity, not memory safety,
# the Debian package tests (label "pkg": the package is built from the normal build only) and
# the headless-chromium checks of the HTML report (label "browser"), which test the page's
# script rather than the engine.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-2}
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"
if [ "${MTA_SKIP_ASAN:-0}" != 1 ]; then
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMTA_SANITIZE=ON >/dev/null
	cmake --build build-asan -j"$jobs"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE 'tshark|pkg|browser'
fi
