#!/bin/bash
# test_cli.sh — the mtadiag command line (contract §3): help and version, usage errors and
# unusable inputs (exit 2 with exactly one line on stderr naming the file and why), truncated
# captures (analysed up to the cut, one warning, exit 0/1), undecoded link types, --fail-on
# thresholds against the findings actually reported, -q, reading standard input, write errors,
# and deterministic JSON (two runs, and -r order) over every capture in pcaps/ and
# ../shared/pcaps/external/.
#
# env: MTADIAG (the binary), MTA_SRC (repository root).  Needs /usr/bin/python3 with scapy
# for the generated capture with a RST.
set -u
: "${MTADIAG:?set MTADIAG to the mtadiag binary}" "${MTA_SRC:?set MTA_SRC to the repository root}"
[ -x "$MTADIAG" ] || { echo "FAIL - $MTADIAG is not an executable"; exit 1; }
PY=/usr/bin/python3
TOOLS=$MTA_SRC/tests/tools
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

fails=0
passes=0
ok() { echo "ok - $1"; passes=$((passes + 1)); }
fail() { echo "FAIL - $1"; fails=$((fails + 1)); }
# run ARGS...: rc, $T/out, $T/err
run() { "$MTADIAG" "$@" >"$T/out" 2>"$T/err"; rc=$?; }
nlines() { wc -l <"$1" | tr -d ' '; }

# expect_usage NAME PATTERN ARGS...: exit 2, nothing on stdout, one stderr line matching PATTERN
expect_usage() {
	local name=$1 pat=$2
	shift 2
	run "$@"
	if [ "$rc" = 2 ] && [ ! -s "$T/out" ] && [ "$(nlines "$T/err")" = 1 ] &&
		grep -qE -- "$pat" "$T/err"; then
		ok "$name"
	else
		fail "$name: rc=$rc, stderr: $(head -c 400 "$T/err"), stdout bytes: $(wc -c <"$T/out")"
	fi
}

# ---- help and version ----------------------------------------------------------------------
run -h
[ "$rc" = 0 ] && grep -q '^Usage: mtadiag -r FILE' "$T/out" && grep -q -- '--fail-on SEV' "$T/out" &&
	grep -q -- '--expect FILE' "$T/out" && [ ! -s "$T/err" ] && ok "-h" || fail "-h: rc=$rc"
run --help
[ "$rc" = 0 ] && grep -q '^Usage: mtadiag' "$T/out" && ok "--help" || fail "--help: rc=$rc"
run --version
ver=$(sed -n 's/^project(mtadiag VERSION \([0-9.]*\).*/\1/p' "$MTA_SRC/CMakeLists.txt")
[ "$rc" = 0 ] && grep -qx "mtadiag $ver" "$T/out" && grep -q '^libpcap version' "$T/out" &&
	ok "--version ($ver, libpcap)" || fail "--version: rc=$rc $(cat "$T/out")"

# ---- usage errors --------------------------------------------------------------------------
expect_usage "unknown long option" "no-such-option" --no-such-option -r /dev/null
expect_usage "unknown short option" "-X: unknown option" -X
expect_usage "missing argument" "-r: needs an argument" -r
expect_usage "no capture given" "no capture" --json
expect_usage "stray argument" "unexpected argument" -r x.pcap port 25
expect_usage "bad --fail-on" "not a severity" --fail-on fatal -r x.pcap
expect_usage "bad -c" "packet count" -c 0 -r x.pcap
expect_usage "bad --stall" "seconds" --stall 1.2.3 -r x.pcap
expect_usage "bad --smtp-ports" "list of ports" --smtp-ports 25,99999 -r x.pcap
expect_usage "bad --osi-ports" "list of ports" --osi-ports abc -r x.pcap
expect_usage "bad --max-conns" "max-conns" --max-conns -5 -r x.pcap
expect_usage "bad --max-buffer" "max-buffer" --max-buffer 12Q -r x.pcap
expect_usage "live capture, unknown interface" "no-such-if0: cannot capture: (no such interface|no permission)" -i no-such-if0
expect_usage "live option -w without -i" "-w: live capture option without -i IFACE" -r x.pcap -w out.pcap
expect_usage "-i with -r" "exclude each other" -i lo -r x.pcap
expect_usage "-W without -C" "give -C too" -i lo -w out.pcap -W 3
expect_usage "bad -s" "snapshot length" -i lo -s 300000
expect_usage "--expect with two files" "single -r" -r a.pcap -r b.pcap --expect x.expect

# ---- unusable inputs -----------------------------------------------------------------------
expect_usage "missing file" "^mtadiag: /no/such\.pcap: No such file or directory$" -r /no/such.pcap
$PY -c 'import random,sys; random.seed(7); sys.stdout.buffer.write(bytes(random.randrange(256) for _ in range(4096)))' >"$T/random.bin"
expect_usage "random bytes" "^mtadiag: $T/random\.bin: not a pcap or pcapng file" -r "$T/random.bin"
: >"$T/empty.pcap"
expect_usage "empty file" "^mtadiag: $T/empty\.pcap: empty file$" -r "$T/empty.pcap"
expect_usage "directory" "^mtadiag: $T: Is a directory$" -r "$T"
head -c 10 "$TOOLS/jsonl.py" >"$T/short.txt"
expect_usage "tiny text file" "^mtadiag: $T/short\.txt: " -r "$T/short.txt"

# ---- a capture with known findings (an SMTP connection reset by the client) ----------------
if ! $PY "$TOOLS/gen_rst_capture.py" "$T/rst.pcap" 2>"$T/gen.err"; then
	fail "generate the RST capture: $(cat "$T/gen.err")"
else
	cp "$T/rst.pcap" "$T/rst-copy.pcap"
	expect_usage "missing file among good ones" "^mtadiag: $T/zzz-missing\.pcap: No such file" \
		-r "$T/rst.pcap" -r "$T/zzz-missing.pcap"

	run -r "$T/rst.pcap" --json
	if [ "$rc" = 0 ] && [ ! -s "$T/err" ] && $PY "$TOOLS/jsonl.py" check "$T/out"; then
		ok "--json on the RST capture"
	else
		fail "--json on the RST capture: rc=$rc $(head -c 300 "$T/err")"
	fi
	cp "$T/out" "$T/rst.json"
	# The positive case must not pass vacuously: the reset is a finding at its frame (11).
	if $PY "$TOOLS/jsonl.py" has smtpdiag.rst 11 "$T/rst.json"; then
		ok "RST capture: smtpdiag.rst reported at frame 11"
	else
		fail "RST capture: no smtpdiag.rst at frame 11 (is the SMTP analyser in?)"
	fi
	for sev in chat note warning error; do
		n=$($PY "$TOOLS/jsonl.py" count-at-least $sev "$T/rst.json")
		want=0
		[ "$n" -gt 0 ] && want=1
		run -r "$T/rst.pcap" --fail-on $sev
		if [ "$rc" = "$want" ]; then
			ok "--fail-on $sev: exit $rc ($n findings at or above)"
		else
			fail "--fail-on $sev: exit $rc, want $want ($n findings at or above)"
		fi
	done
	n=$($PY "$TOOLS/jsonl.py" count-at-least warning "$T/rst.json")
	[ "$n" -gt 0 ] && ok "RST capture has a warning or worse" ||
		fail "RST capture: no finding at warning or above"
	run -r "$T/rst.pcap"
	[ "$rc" = 0 ] && ok "no --fail-on: exit 0 despite findings" || fail "no --fail-on: exit $rc"

	# Text report: a line per finding; -q drops exactly those lines and keeps the summaries
	# and statistics.
	run -r "$T/rst.pcap"
	cp "$T/out" "$T/rst.txt"
	run -r "$T/rst.pcap" -q
	nf=$($PY "$TOOLS/jsonl.py" count-at-least chat "$T/rst.json")
	diff "$T/rst.txt" "$T/out" | grep '^< ' >"$T/dropped"
	if [ "$nf" -gt 0 ] && [ "$(nlines "$T/dropped")" = "$nf" ] &&
		[ "$(grep -c 'smtpdiag\.rst' "$T/dropped")" -ge 1 ] &&
		! diff "$T/rst.txt" "$T/out" | grep -q '^> ' &&
		grep -q '^statistics: 11 frames' "$T/out"; then
		ok "text report: one line per finding ($nf); -q drops exactly those"
	else
		fail "text report / -q ($nf findings, $(nlines "$T/dropped") lines dropped by -q)"
	fi

	# Standard input gives the same JSON as the file.
	"$MTADIAG" -r - --json <"$T/rst.pcap" >"$T/stdin.json" 2>"$T/err"
	cmp -s "$T/stdin.json" "$T/rst.json" && ok "-r - reads standard input" ||
		fail "-r - differs from -r FILE"

	# The same file twice (by name or under another name) is analysed once.
	run -r "$T/rst.pcap" -r "$T/rst.pcap" --json
	cmp -s "$T/out" "$T/rst.json" && ok "-r F -r F analyses F once" || fail "-r F -r F"
	ln -s "$T/rst.pcap" "$T/link.pcap"
	run -r "$T/rst.pcap" -r "$T/link.pcap" --json
	cmp -s "$T/out" "$T/rst.json" && ok "a file under two names is analysed once" ||
		fail "symlinked duplicate analysed twice"

	# -c COUNT: only the first COUNT frames.
	run -r "$T/rst.pcap" -c 4 --json
	[ "$rc" = 0 ] && [ "$($PY "$TOOLS/jsonl.py" stat frames "$T/out")" = 4 ] &&
		ok "-c 4 reads 4 frames" || fail "-c 4: rc=$rc"

	# A write error on stdout is an error.
	if [ -w /dev/full ]; then
		"$MTADIAG" -r "$T/rst.pcap" --json >/dev/full 2>"$T/err"
		rc=$?
		[ "$rc" = 2 ] && grep -q 'write error' "$T/err" && ok "write error on stdout: exit 2" ||
			fail "write error on stdout: rc=$rc"
	fi

	# ---- truncated captures: cut inside the last record -----------------------------------
	total=$(stat -c %s "$T/rst.pcap")
	head -c $((total - 10)) "$T/rst.pcap" >"$T/cut.pcap"
	run -r "$T/cut.pcap" --json
	if [ "$rc" != 2 ] && [ "$(nlines "$T/err")" = 1 ] &&
		grep -qE "^mtadiag: $T/cut\.pcap: truncated capture after frame 10 \(" "$T/err" &&
		[ "$($PY "$TOOLS/jsonl.py" stat frames "$T/out")" = 10 ]; then
		ok "pcap cut inside a record: 10 frames analysed, one warning, exit $rc"
	else
		fail "pcap cut inside a record: rc=$rc stderr=$(cat "$T/err")"
	fi
	# Cut inside a record header (16 octets) rather than its data.
	last=$($PY -c '
import struct, sys
d = open(sys.argv[1], "rb").read(); off = 24; last = 0
while off < len(d):
    last = off; off += 16 + struct.unpack_from("<I", d, off + 8)[0]
print(last)' "$T/rst.pcap")
	head -c $((last + 8)) "$T/rst.pcap" >"$T/cut2.pcap"
	run -r "$T/cut2.pcap" --json
	[ "$rc" != 2 ] && grep -q "truncated capture after frame 10" "$T/err" &&
		ok "pcap cut inside a record header" || fail "cut inside a header: rc=$rc $(cat "$T/err")"
	if command -v editcap >/dev/null; then
		editcap -F pcapng "$T/rst.pcap" "$T/rst.pcapng" 2>/dev/null
		run -r "$T/rst.pcapng" --json
		$PY - "$T/out" "$T/rst.json" <<-'EOF' && ok "pcapng gives the same findings as pcap" || fail "pcapng vs pcap findings"
			import json, sys
			f = lambda p: [l for l in open(p) if json.loads(l)["kind"] == "finding"]
			sys.exit(0 if f(sys.argv[1]) == f(sys.argv[2]) else 1)
		EOF
		total=$(stat -c %s "$T/rst.pcapng")
		head -c $((total - 20)) "$T/rst.pcapng" >"$T/cut.pcapng"
		run -r "$T/cut.pcapng" --json
		[ "$rc" != 2 ] && [ "$(nlines "$T/err")" = 1 ] &&
			grep -q "cut\.pcapng: truncated capture after frame 10" "$T/err" &&
			ok "pcapng cut inside a block" || fail "pcapng cut: rc=$rc $(cat "$T/err")"
	else
		echo "# editcap not found: pcapng checks skipped"
	fi
fi

# ---- a link type the engine does not decode ------------------------------------------------
$PY - "$T/user0.pcap" <<'EOF'
import struct, sys
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 147))  # LINKTYPE_USER0
    for i in range(3):
        f.write(struct.pack("<IIII", 1700000000 + i, 0, 8, 8) + b"\x45" * 8)
EOF
run -r "$T/user0.pcap" --json
if [ "$rc" = 0 ] && [ "$(nlines "$T/err")" = 1 ] && grep -q "link type 147" "$T/err" &&
	[ "$($PY "$TOOLS/jsonl.py" stat frames "$T/out")" = 3 ] &&
	[ "$($PY "$TOOLS/jsonl.py" stat unsupported_link "$T/out")" = 3 ]; then
	ok "undecoded link type: one warning, frames counted"
else
	fail "undecoded link type: rc=$rc $(cat "$T/err")"
fi

# ---- pcapng whose interfaces have different link types (libpcap 1.10 refuses them) --------
$PY - "$T/multi.pcapng" <<'EOF'
import struct, sys
def blk(t, body):
    body += b"\0" * (-len(body) % 4)
    return struct.pack("<II", t, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))
shb = blk(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
idb = lambda lt: blk(1, struct.pack("<HHI", lt, 0, 65535))
epb = lambda i, d, ts: blk(6, struct.pack("<IIIII", i, ts >> 32, ts & 0xffffffff, len(d), len(d)) + d)
eth = bytes(12) + b"\x08\x00" + bytes(40)
open(sys.argv[1], "wb").write(shb + idb(1) + epb(0, eth, 1700000000000000) + idb(101) +
                              epb(1, b"\x45" + bytes(39), 1700000001000000))
EOF
run -r "$T/multi.pcapng" --json
if [ "$rc" = 2 ] && [ "$(nlines "$T/err")" = 1 ] && grep -q "different link types" "$T/err" &&
	[ "$($PY "$TOOLS/jsonl.py" stat frames "$T/out")" = 1 ]; then
	ok "pcapng with two link types: frames before the second interface analysed, exit 2"
else
	fail "pcapng with two link types: rc=$rc $(cat "$T/err")"
fi

# ---- never a crash: mutated captures -----------------------------------------------------
# Deterministic byte flips and cuts of the generated capture (pcap and pcapng): whatever the
# damage, the exit status is 0, 1 or 2, every stderr line is one of mtadiag's (a corrupt
# header may add the link-type warning to the error line), and no sanitizer report appears
# (sanitizer builds exit 1 on an error, so the text is checked).
if [ -f "$T/rst.pcap" ]; then
	mkdir -p "$T/mut"
	bases=("$T/rst.pcap")
	[ -f "$T/rst.pcapng" ] && bases+=("$T/rst.pcapng")
	$PY - "$T/mut" "${bases[@]}" <<'EOF'
import os, random, sys
out, bases = sys.argv[1], sys.argv[2:]
r = random.Random(1006)
for b in bases:
    data = open(b, "rb").read()
    ext = os.path.splitext(b)[1]
    for i in range(60):
        d = bytearray(data)
        for _ in range(r.randrange(1, 9)):
            pos = r.randrange(len(d))
            d[pos] = r.choice([0, 0xff, d[pos] ^ (1 << r.randrange(8)), r.randrange(256)])
        if r.random() < 0.3:
            d = d[:r.randrange(len(d))]
        open(os.path.join(out, "m%02d%s" % (i, ext)), "wb").write(bytes(d))
EOF
	bad=0
	nm=0
	for m in "$T"/mut/*; do
		nm=$((nm + 1))
		"$MTADIAG" -r "$m" --json >"$T/m.out" 2>"$T/m.err"
		mrc=$?
		if grep -qE 'Sanitizer|runtime error|Segmentation|Aborted' "$T/m.err" ||
			grep -qv '^mtadiag: ' "$T/m.err" || [ "$mrc" -gt 2 ] ||
			{ [ "$mrc" = 2 ] && [ ! -s "$T/m.err" ]; }; then
			bad=$((bad + 1))
			fail "mutated capture $(basename "$m"): rc=$mrc $(head -c 300 "$T/m.err")"
			cp "$m" "/tmp/mtadiag-crash-$(basename "$m")" 2>/dev/null
		fi
	done
	[ "$bad" = 0 ] && ok "$nm mutated captures: exit 0/1/2, no crash, no sanitizer report"
fi

# ---- determinism over every capture we have ------------------------------------------------
caps=()
[ -d "$MTA_SRC/pcaps" ] && while IFS= read -r -d '' f; do caps+=("$f"); done < <(find "$MTA_SRC/pcaps" -type f \( -name '*.pcap' -o -name '*.pcapng' \) -print0 | sort -z)
# External captures live beside the repository (never copied into it); from a worktree one
# level deeper, or wherever MTA_EXTERNAL_PCAPS says.
ext=${MTA_EXTERNAL_PCAPS:-$MTA_SRC/../shared/pcaps/external}
[ -d "$ext" ] || ext=$MTA_SRC/../../shared/pcaps/external
[ -d "$ext" ] || echo "# external captures not found: only pcaps/ and generated captures checked"
[ -d "$ext" ] && while IFS= read -r -d '' f; do caps+=("$f"); done < <(find "$ext" -type f \( -name '*.pcap' -o -name '*.pcapng' \) -print0 | sort -z)
[ -f "$T/rst.pcap" ] && caps+=("$T/rst.pcap")
echo "# determinism over ${#caps[@]} captures"
nd=0
for f in "${caps[@]}"; do
	"$MTADIAG" -r "$f" --json >"$T/a.json" 2>"$T/a.err"
	ra=$?
	"$MTADIAG" -r "$f" --json >"$T/b.json" 2>/dev/null
	if [ "$ra" = 2 ] || ! cmp -s "$T/a.json" "$T/b.json" || ! $PY "$TOOLS/jsonl.py" check "$T/a.json" >/dev/null ||
		grep -qE 'Sanitizer|runtime error' "$T/a.err"; then
		fail "deterministic JSON: $f (rc=$ra $(head -c 200 "$T/a.err"))"
		nd=$((nd + 1))
	fi
	# Contract conformance of the JSON (keys, types, catalogue codes, frames, stats counts).
	if ! $PY "$TOOLS/jsonl.py" validate "$MTA_SRC/include/mtadiag/findings.def" "$T/a.json" >"$T/v.out"; then
		fail "JSON contract: $f: $(head -5 "$T/v.out" | tr '\n' ';')"
		nd=$((nd + 1))
	fi
	# The text report must be stable too.
	"$MTADIAG" -r "$f" >"$T/a.txt" 2>/dev/null
	"$MTADIAG" -r "$f" >"$T/b.txt" 2>/dev/null
	cmp -s "$T/a.txt" "$T/b.txt" || { fail "deterministic text: $f"; nd=$((nd + 1)); }
done
[ "$nd" = 0 ] && ok "byte-identical JSON and text on two runs of ${#caps[@]} captures; JSON keeps the contract"

if [ "${#caps[@]}" -ge 2 ]; then
	fwd=()
	rev=()
	for f in "${caps[@]}"; do fwd+=(-r "$f"); done
	for ((i = ${#caps[@]} - 1; i >= 0; i--)); do rev+=(-r "${caps[$i]}"); done
	"$MTADIAG" "${fwd[@]}" --json >"$T/fwd.json" 2>/dev/null
	"$MTADIAG" "${rev[@]}" --json >"$T/rev.json" 2>/dev/null
	if cmp -s "$T/fwd.json" "$T/rev.json" && [ -s "$T/fwd.json" ]; then
		ok "same JSON whatever the order of ${#caps[@]} -r options"
	else
		fail "JSON depends on the order of -r options"
	fi
	# Every record carries its file; one stats object per file, files in name order.
	$PY "$TOOLS/jsonl.py" kinds "$T/fwd.json" >"$T/kinds"
	stats_files=$(awk '$1 == "stats" { print $2 }' "$T/kinds")
	want_files=$(printf '%s\n' "${caps[@]}" | LC_ALL=C sort)
	if ! awk '$2 == "-"' "$T/kinds" | grep -q . && [ "$stats_files" = "$want_files" ]; then
		ok "several files: a \"file\" key on every record, one stats per file in name order"
	else
		fail "several files: file keys / stats order"
	fi
	# Each file's records in the combined output equal its own run.
	f0=${caps[0]}
	"$MTADIAG" -r "$f0" --json >"$T/one.json" 2>/dev/null
	$PY - "$T/fwd.json" "$T/one.json" "$f0" <<-'EOF' && ok "combined output per file equals the single-file run" || fail "combined output differs from the single-file run"
		import json, sys
		mine = []
		for line in open(sys.argv[1]):
		    o = json.loads(line)
		    if o.pop("file") == sys.argv[3]:
		        mine.append(o)
		one = [json.loads(l) for l in open(sys.argv[2])]
		sys.exit(0 if mine == one else 1)
	EOF
	# The text report has a header per file.
	"$MTADIAG" "${rev[@]}" >"$T/multi.txt" 2>/dev/null
	[ "$(grep -c '^== .* ==$' "$T/multi.txt")" = "${#caps[@]}" ] && ok "text: a header per file" ||
		fail "text: header per file"
fi

# ---- file names that are not plain ASCII, in JSON and in the HTML report --------------------
# Valid UTF-8 passes through as it is; an octet that is not part of valid UTF-8 (here 0xff, and
# a lone 0xe9 as Latin-1 would write "e acute") is written as \u00XX, so the line stays JSON.
src=$MTA_SRC/pcaps/smtp/abrupt-close-server-fin.pcap
if [ -f "$src" ]; then
	u8="$T/caf$(printf '\xc3\xa9').pcap"
	bad="$T/x$(printf '\xff')y$(printf '\xe9').pcap"
	cp "$src" "$u8" && cp "$src" "$bad"
	"$MTADIAG" --json -r "$u8" -r "$bad" >"$T/names.json" 2>/dev/null
	if "$PY" - "$T/names.json" "$u8" <<'EOF2'; then
import json, sys
files = set()
for line in open(sys.argv[1], "rb"):
    o = json.loads(line)          # every line parses as JSON
    if "file" in o:
        files.add(o["file"])
want_u8 = sys.argv[2].encode("utf-8", "surrogateescape").decode("utf-8")
bad = [f for f in files if f != want_u8]
ok = want_u8 in files and len(bad) == 1 and bad[0].endswith("/x\u00ffy\u00e9.pcap")
sys.exit(0 if ok else 1)
EOF2
		ok "JSON: a UTF-8 file name passes through, invalid octets become \\u00XX"
	else
		fail "JSON: file names with UTF-8 and invalid octets"
		head -c 600 "$T/names.json" | sed 's/^/#   /'
	fi
	"$MTADIAG" -r "$bad" --html "$T/names.html" >/dev/null 2>&1
	if "$PY" -c 'import sys; t = open(sys.argv[1], "rb").read(); t.decode("utf-8"); sys.exit(0 if b"\\ufffd" in t or "\ufffd".encode() in t else 1)' "$T/names.html"; then
		ok "HTML: the report stays valid UTF-8, the invalid octets shown as U+FFFD"
	else
		fail "HTML: file name with invalid octets"
	fi
fi

echo "# $passes passed, $fails failed"
[ "$fails" = 0 ]
