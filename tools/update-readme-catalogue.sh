#!/bin/bash
# Rewrite the README's finding table from the catalogue (build/mtadiag-catalogue).
set -euo pipefail
cd "$(dirname "$0")/.."
gen=${1:-build/mtadiag-catalogue}
table=$("$gen")
awk -v table="$table" '
	/<!-- catalogue:begin -->/ { print; print table; skip = 1; next }
	/<!-- catalogue:end -->/ { skip = 0 }
	!skip { print }
' README.md > README.md.new && mv README.md.new README.md
