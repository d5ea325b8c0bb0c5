#!/bin/bash
# The README's finding table must be exactly what the catalogue (findings.def) generates.
set -euo pipefail
gen="$MTA_BUILD/mtadiag-catalogue"
readme="$MTA_SRC/README.md"
[ -x "$gen" ] || { echo "catalogue tool not built: $gen"; exit 1; }
want=$("$gen")
have=$(sed -n '/<!-- catalogue:begin -->/,/<!-- catalogue:end -->/p' "$readme" | sed '1d;$d')
if [ "$want" != "$have" ]; then
	echo "README.md finding table differs from include/mtadiag/findings.def; regenerate with:"
	echo "  tools/update-readme-catalogue.sh"
	diff <(echo "$want") <(echo "$have") || true
	exit 1
fi
n=$(echo "$want" | grep -c '^| `')
echo "catalogue: $n codes, README table up to date"
