#!/bin/bash
# test_html_browser.sh — the HTML report in a real browser: headless Debian
# chromium (--no-sandbox, a fresh profile) loads the report of the seed-003 OSI scenario
# (invalid MIP, then the responder aborts) and of seed-000 SMTP (RST during DATA).  Checks: the
# page's status is "ok" with no exception or console error; the findings table rows equal the
# findings of mtadiag --json (frame, code, severity), each with its "frame.number == N" filter
# and a diagram link; filtering by severity, connection and code (the overview's code links)
# and sorting by a column header work as a user would drive them; following the abort_cause
# link draws the association's ladder with the MIP(3) row (V(M) 2->4) and the AB row marked
# with its reason, their findings at their frames, and the curve from the MIP's row to the
# abort_cause marker; the SMTP ladder shows the commands, the 354
# with its latency and the marked RST; seed-001 shows the no-PSH segment and the curve to the
# stall it caused, and draws from the summary's dialogue when events are missing; tcp-gap
# draws the lost octets as a broken line.  Screenshots go to $MTA_BUILD/html-shots (or
# $MTA_SCREENSHOT_DIR; tools/html-screenshots.sh refreshes docs/img with them).
# Skipped (77) without chromium (apt-get install chromium; tools/install-deps.sh does).
set -u
: "${MTADIAG:?}" "${MTA_SRC:?}" "${MTA_BUILD:?}"
command -v "${CHROMIUM:-chromium}" >/dev/null || { echo "SKIP: chromium missing"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
shots=${MTA_SCREENSHOT_DIR:-$MTA_BUILD/html-shots}
mkdir -p "$shots"
timeout 240 /usr/bin/python3 "$MTA_SRC/tests/tools/html_browser.py" scenarios "$MTADIAG" "$T" \
	"$MTA_SRC" "$shots" || { echo "FAIL"; exit 1; }
echo "PASS: seed-003 and seed-000 reports checked in chromium; screenshots in $shots"
