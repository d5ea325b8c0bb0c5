#!/bin/bash
# test_man.sh — the generated man page mtadiag(1) (build/man/mtadiag.1.gz): man and groff render
# it without a warning, its FINDINGS section carries every code of the catalogue with its
# severity and meaning (mtadiag-catalogue, i.e. include/mtadiag/findings.def), and its header
# carries the version mtadiag --version prints, which project(VERSION) alone sets.
#
# env: MTADIAG (the binary), MTA_BUILD (build tree), MTA_SRC (repository root).
set -u
: "${MTADIAG:?}" "${MTA_BUILD:?}"
fails=0
passes=0
ok() { echo "ok - $1"; passes=$((passes + 1)); }
fail() { echo "FAIL - $1"; fails=$((fails + 1)); }
page=$MTA_BUILD/man/mtadiag.1.gz
[ -s "$page" ] || { echo "FAIL - $page missing (the build generates it)"; exit 1; }
command -v man >/dev/null && command -v groff >/dev/null ||
	{ echo "FAIL - man-db and groff are needed (tools/install-deps.sh)"; exit 1; }

warn=$(MANWIDTH=80 man -l --warnings "$page" 2>&1 >/dev/null)
[ -z "$warn" ] && ok "man -l --warnings: no warning" || fail "man -l --warnings: $warn"
warn=$(zcat "$page" | groff -k -ww -man -Tutf8 -z 2>&1)
[ -z "$warn" ] && ok "groff -ww: no warning" || fail "groff -ww: $warn"
text=$(MANWIDTH=200 man -l "$page" 2>/dev/null | sed 's/‐/-/g') # U+2010 hyphen -> ASCII
lines=$(printf '%s\n' "$text" | wc -l)
[ "$lines" -gt 300 ] && ok "renders ($lines lines)" || fail "renders only $lines lines"

# Every catalogue row, as "code (severity)" followed by its meaning, in FINDINGS.
findings=$(printf '%s\n' "$text" | sed -n '/^FINDINGS/,/^EXAMPLES/p' | tr -s ' \n' '  ')
missing=0
rows=0
while IFS='|' read -r _ code sev meaning _; do
	code=$(echo "$code" | tr -d ' `')
	sev=$(echo "$sev" | tr -d ' ')
	meaning=$(echo "$meaning" | sed 's/^ *//; s/ *$//' | tr -s ' ')
	rows=$((rows + 1))
	case "$findings" in
	*"$code ($sev) $meaning"*) ;;
	*)
		fail "FINDINGS lacks $code ($sev): $meaning"
		missing=$((missing + 1))
		;;
	esac
done < <("$MTA_BUILD/mtadiag-catalogue" | tail -n +3)
[ "$rows" -gt 50 ] && [ "$missing" = 0 ] && ok "FINDINGS: all $rows catalogue codes with severity and meaning"
n=$(printf '%s\n' "$findings" | grep -oE '(smtpdiag|osidiag)\.[a-z0-9_]+ \((error|warning|note|chat)\)' | wc -l)
[ "$n" = "$rows" ] && ok "FINDINGS: no code beyond the catalogue" || fail "FINDINGS has $n codes, the catalogue $rows"

version=$("$MTADIAG" --version | sed -n '1s/^mtadiag //p')
head=$(zcat "$page" | grep '^\.TH')
case "$head" in
*"\"mtadiag $version\""*) ok "header names version $version" ;;
*) fail "header '$head' does not name version $version" ;;
esac
# The version is set once, in project(VERSION): no source defines it as a literal.
if [ -n "${MTA_SRC:-}" ]; then
	lit=$(grep -rnE 'define +MTA_VERSION +"[0-9]' "$MTA_SRC"/capture-tool "$MTA_SRC"/lib "$MTA_SRC"/include \
		"$MTA_SRC"/plugins "$MTA_SRC"/tools 2>/dev/null)
	[ -z "$lit" ] && grep -q "^project(mtadiag VERSION $version " "$MTA_SRC/CMakeLists.txt" &&
		ok "version $version only in project(VERSION)" || fail "version literal in the sources: $lit"
fi
for section in SYNOPSIS OPTIONS "JSON LINES" "EXPECTED-FINDINGS FILES" "LIVE CAPTURE" SECURITY "EXIT STATUS" FILES FINDINGS; do
	printf '%s\n' "$text" | grep -qx "$section" || fail "no section $section"
done
ok "sections present"

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
