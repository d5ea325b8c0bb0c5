#!/bin/bash
# The engine keeps no mutable global state (architecture.md): every object symbol of the
# library must live in a read-only section (.rodata, .data.rel.ro*), never in .data or .bss
# (sanitizer bookkeeping symbols excepted).
set -euo pipefail
lib="$MTA_BUILD/libmtadiag.a"
[ -f "$lib" ] || { echo "library not built: $lib"; exit 1; }
syms=$(objdump -t "$lib" | awk '$0 ~ / O / && $NF !~ /^__(odr_asan|asan|ubsan|sancov)/ {print $4, $NF}')
[ -n "$syms" ] || { echo "no object symbols found: objdump output not understood"; exit 1; }
bad=$(echo "$syms" | grep -Ev '^(\.rodata|\.data\.rel\.ro)' || true)
if [ -n "$bad" ]; then
	echo "mutable global state in lib/:"
	echo "$bad"
	exit 1
fi
echo "no mutable globals: $(echo "$syms" | wc -l) read-only objects"
