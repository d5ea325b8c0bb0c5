#!/bin/bash
# html-screenshots.sh — re-take the README screenshots of the HTML report (mtadiag --html) in
# headless chromium, with the same checks as tests/scripts/test_html_browser.sh.
#
#   tools/html-screenshots.sh [BUILD]      (BUILD: the build directory, default build)
#
# Writes docs/img/html-osi-seed003.png (the ladder of the seed-003 association: the invalid
# MIP(3), the abort, the curve between them), docs/img/html-smtp-seed000.png (the seed-000 SMTP
# session reset during DATA) and docs/img/html-overview-seed003.png (overview and findings).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
/usr/bin/python3 "$SRC/tests/tools/html_browser.py" scenarios "$BUILD/mtadiag" "$T" "$SRC" \
	"$SRC/docs/img"
