#!/bin/bash
# test_expect.sh — the regression suite (contract §4) and a self-test of --expect.
#
# 1. Every pcaps/**/NAME.pcap or NAME.pcapng with NAME.expect beside it must pass
#    `mtadiag -r NAME.pcap --expect NAME.expect` (exit 0).  No such pair at all is a failure:
#    a regression suite that checks nothing must not pass.
# 2. --expect itself, on a generated capture whose findings are known to exist (an SMTP
#    connection reset by the client): the findings turned into an expect file pass; an extra
#    line, a missing line, a wrong frame, a mismatching extra key each give exit 1 and name the
#    difference; partial keys, reordered keys and comments pass; chat findings count only when
#    the file lists their code; malformed (or mutated) files give exit 2, never a crash.
#
# env: MTADIAG, MTA_SRC.
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
run() { "$MTADIAG" "$@" >"$T/out" 2>"$T/err"; rc=$?; }

# ---- 1. the regression suite ---------------------------------------------------------------
pairs=0
if [ -d "$MTA_SRC/pcaps" ]; then
	while IFS= read -r -d '' cap; do
		exp=${cap%.*}.expect
		[ -f "$exp" ] || continue
		pairs=$((pairs + 1))
		run -r "$cap" --expect "$exp"
		if [ "$rc" = 0 ]; then
			ok "regression: ${cap#"$MTA_SRC"/} ($(tail -1 "$T/out"))"
		else
			fail "regression: ${cap#"$MTA_SRC"/} (exit $rc)"
			sed 's/^/#   /' "$T/out" "$T/err" | head -40
		fi
	done < <(find "$MTA_SRC/pcaps" -type f \( -name '*.pcap' -o -name '*.pcapng' \) -print0 | sort -z)
fi
if [ "$pairs" = 0 ]; then
	fail "no pcaps/**/NAME.pcap(ng) with NAME.expect beside it: the regression suite checks nothing"
else
	echo "# $pairs capture/expect pairs checked"
fi
# An .expect without its capture is a mistake too (renamed or deleted capture).
if [ -d "$MTA_SRC/pcaps" ]; then
	while IFS= read -r -d '' exp; do
		base=${exp%.expect}
		[ -f "$base.pcap" ] || [ -f "$base.pcapng" ] || fail "orphan expect file: ${exp#"$MTA_SRC"/}"
	done < <(find "$MTA_SRC/pcaps" -type f -name '*.expect' -print0)
fi

# ---- 2. self-test of --expect --------------------------------------------------------------
if ! $PY "$TOOLS/gen_rst_capture.py" "$T/rst.pcap" 2>"$T/gen.err"; then
	fail "generate the RST capture: $(cat "$T/gen.err")"
	echo "# $passes passed, $fails failed"
	exit 1
fi
"$MTADIAG" -r "$T/rst.pcap" --json >"$T/rst.json"
$PY "$TOOLS/jsonl.py" to-expect note "$T/rst.json" >"$T/all.expect"
n=$(wc -l <"$T/all.expect" | tr -d ' ')
if [ "$n" -gt 0 ] && $PY "$TOOLS/jsonl.py" has smtpdiag.rst 11 "$T/rst.json"; then
	ok "RST capture has $n findings of severity note or higher, smtpdiag.rst at frame 11 among them"
else
	fail "RST capture: no smtpdiag.rst at frame 11; the --expect self-test needs findings (is the SMTP analyser in?)"
fi

# expect_rc NAME WANT_RC EXPECT_FILE [GREP_PATTERN...]: exit status and stdout lines
expect_rc() {
	local name=$1 want=$2 file=$3
	shift 3
	run -r "$T/rst.pcap" --expect "$file"
	if [ "$rc" != "$want" ]; then
		fail "$name: exit $rc, want $want"
		sed 's/^/#   /' "$T/out" "$T/err" | head -20
		return
	fi
	for pat in "$@"; do
		if ! grep -qE -- "$pat" "$T/out"; then
			fail "$name: output lacks /$pat/"
			sed 's/^/#   /' "$T/out" | head -20
			return
		fi
	done
	ok "$name"
}

if [ "$n" -gt 0 ]; then
	first=$(head -1 "$T/all.expect")
	code=$($PY -c 'import json,sys; print(json.loads(sys.argv[1])["code"])' "$first")
	frame=$($PY -c 'import json,sys; print(json.loads(sys.argv[1])["frame"])' "$first")

	expect_rc "exact findings pass" 0 "$T/all.expect" "^expect: $n findings matched$"

	# Only the two required keys; comments and blank lines ignored.
	{
		echo "# generated: code and frame only"
		echo
		$PY -c 'import json,sys
for l in open(sys.argv[1]):
    o = json.loads(l); print(json.dumps({"frame": o["frame"], "code": o["code"]}))' "$T/all.expect"
		echo "   # indented comment"
	} >"$T/min.expect"
	expect_rc "code+frame only, with comments" 0 "$T/min.expect" "^expect: $n findings matched$"

	# Keys in another order, conn members swapped, numbers respelled, strings escaped.
	$PY -c 'import json,sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    c = o.get("conn")
    if c: o["conn"] = dict(reversed(list(c.items())))
    o = dict(reversed(list(o.items())))
    print(json.dumps(o, ensure_ascii=True))' "$T/all.expect" >"$T/reorder.expect"
	expect_rc "reordered keys and objects pass" 0 "$T/reorder.expect" "findings matched"

	# An extra line: the expected finding is reported once only.
	{ cat "$T/all.expect"; echo "$first"; } >"$T/extra.expect"
	expect_rc "extra expected line: exit 1, named missing" 1 "$T/extra.expect" \
		"^missing: .*\"$code\"" "1 missing, 0 unexpected"

	# A missing line: the finding is unexpected.
	tail -n +2 "$T/all.expect" >"$T/less.expect"
	expect_rc "missing expected line: exit 1, named unexpected" 1 "$T/less.expect" \
		"^unexpected: .*\"code\":\"$code\".*\"frame\":$frame" "0 missing, 1 unexpected"

	# A wrong frame: missing at the wrong one, unexpected at the real one.
	$PY -c 'import json,sys
lines = open(sys.argv[1]).read().splitlines()
o = json.loads(lines[0]); o["frame"] += 1000; lines[0] = json.dumps(o)
print("\n".join(lines))' "$T/all.expect" >"$T/frame.expect"
	expect_rc "wrong frame: exit 1, both sides named" 1 "$T/frame.expect" \
		"^missing: .*\"frame\": $((frame + 1000))" "^unexpected: .*\"frame\":$frame" \
		"1 missing, 1 unexpected"

	# A mismatching extra key (the connection's server, inside the conn object).
	$PY -c 'import json,sys
lines = open(sys.argv[1]).read().splitlines()
o = {"code": json.loads(lines[0])["code"], "frame": json.loads(lines[0])["frame"],
     "conn": dict(json.loads(lines[0])["conn"])}
o["conn"]["server"] = "203.0.113.99:25"
lines[0] = json.dumps(o)
print("\n".join(lines))' "$T/all.expect" >"$T/key.expect"
	expect_rc "mismatching conn.server: exit 1" 1 "$T/key.expect" \
		"^missing: .*203\.0\.113\.99:25" "^unexpected: .*\"frame\":$frame"

	# A key the finding does not have at all.
	$PY -c 'import json,sys
lines = open(sys.argv[1]).read().splitlines()
o = json.loads(lines[0]); o["no_such_key"] = 1; lines[0] = json.dumps(o)
print("\n".join(lines))' "$T/all.expect" >"$T/nokey.expect"
	expect_rc "key absent from the finding: exit 1" 1 "$T/nokey.expect" "^missing: .*no_such_key"

	# A partial conn object is not equal to the finding's conn (deep equality).
	$PY -c 'import json,sys
lines = open(sys.argv[1]).read().splitlines()
o = json.loads(lines[0]); o["conn"] = {"client": o["conn"]["client"]}; lines[0] = json.dumps(o)
print("\n".join(lines))' "$T/all.expect" >"$T/partial.expect"
	expect_rc "partial conn object: exit 1" 1 "$T/partial.expect" "^missing: "

	# Nothing expected: every finding is unexpected.
	: >"$T/none.expect"
	expect_rc "empty expect file: exit 1" 1 "$T/none.expect" "^unexpected: " "0 matched, 0 missing, $n unexpected"
fi

# ---- chat findings: ignored unless the expect file lists their code -----------------------
if $PY "$TOOLS/gen_rst_capture.py" "$T/tls.pcap" starttls 2>"$T/gen.err"; then
	"$MTADIAG" -r "$T/tls.pcap" --json >"$T/tls.json"
	$PY "$TOOLS/jsonl.py" to-expect note "$T/tls.json" >"$T/tls-note.expect"
	$PY "$TOOLS/jsonl.py" to-expect chat "$T/tls.json" >"$T/tls-chat.expect"
	nn=$(wc -l <"$T/tls-note.expect" | tr -d ' ')
	nc=$(wc -l <"$T/tls-chat.expect" | tr -d ' ')
	if [ "$nc" -gt "$nn" ] && [ "$nn" -gt 0 ]; then
		ok "STARTTLS capture: $((nc - nn)) chat and $nn other findings"
		tlsrun() { "$MTADIAG" -r "$T/tls.pcap" --expect "$1" >"$T/out" 2>"$T/err"; rc=$?; }
		tlsrun "$T/tls-note.expect"
		[ "$rc" = 0 ] && ok "chat findings not listed: ignored" || fail "chat not listed: rc=$rc $(cat "$T/out")"
		tlsrun "$T/tls-chat.expect"
		[ "$rc" = 0 ] && grep -q "^expect: $nc findings matched" "$T/out" &&
			ok "chat findings listed: compared and matched" || fail "chat listed: rc=$rc $(cat "$T/out")"
		# Listing the chat code at a wrong frame: missing there, unexpected where it is.
		$PY -c 'import json,sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o["severity"] == "chat": o = {"code": o["code"], "frame": o["frame"] + 500}
    print(json.dumps(o))' "$T/tls-chat.expect" >"$T/tls-wrong.expect"
		tlsrun "$T/tls-wrong.expect"
		[ "$rc" = 1 ] && grep -q '^missing: .*"frame": [0-9]*' "$T/out" &&
			grep -q '^unexpected: .*"severity":"chat"' "$T/out" &&
			ok "listed chat code at a wrong frame: exit 1, both sides named" ||
			fail "chat code at a wrong frame: rc=$rc $(cat "$T/out")"
	else
		fail "STARTTLS capture: expected chat and other findings ($nc / $nn)"
	fi
else
	fail "generate the STARTTLS capture: $(cat "$T/gen.err")"
fi

# ---- malformed expect files: exit 2, one line naming file and line -------------------------
malformed() {
	local name=$1 content=$2 pat=$3
	printf '%s\n' "$content" >"$T/bad.expect"
	run -r "$T/rst.pcap" --expect "$T/bad.expect"
	if [ "$rc" = 2 ] && [ "$(wc -l <"$T/err" | tr -d ' ')" = 1 ] && grep -qE -- "$pat" "$T/err"; then
		ok "malformed: $name"
	else
		fail "malformed: $name: rc=$rc $(cat "$T/err")"
	fi
}
malformed "not JSON" '{"code": "smtpdiag.rst", "frame": 11' "bad\.expect:1: not valid JSON"
malformed "no frame" '{"code": "smtpdiag.rst"}' "bad\.expect:1: needs at least"
malformed "unknown code" '{"code": "smtpdiag.nope", "frame": 1}' "unknown finding code"
malformed "frame not integer" '{"code": "smtpdiag.rst", "frame": "11"}' "frame"
malformed "frame zero" '{"code": "smtpdiag.rst", "frame": 0}' "frame"
malformed "duplicate key" '{"code": "smtpdiag.rst", "frame": 1, "frame": 2}' "duplicate key"
malformed "array line" '[1, 2]' "not a JSON object"
malformed "trailing text" '{"code": "smtpdiag.rst", "frame": 1} x' "text after the value"
malformed "deep nesting" "{\"code\": \"smtpdiag.rst\", \"frame\": 1, \"d\": $(printf '[%.0s' {1..5000})$(printf ']%.0s' {1..5000})}" "nested too deeply"
printf '# fine\n{"code": "smtpdiag.rst", "frame": 11}\n{"code": 1, "frame": 2}\n' >"$T/bad3.expect"
run -r "$T/rst.pcap" --expect "$T/bad3.expect"
[ "$rc" = 2 ] && grep -q "bad3\.expect:3: " "$T/err" && ok "malformed: line number reported" ||
	fail "malformed: line number: $(cat "$T/err")"
run -r "$T/rst.pcap" --expect "$T/no-such.expect"
[ "$rc" = 2 ] && grep -q "no-such\.expect: No such file" "$T/err" && ok "missing expect file: exit 2" ||
	fail "missing expect file: rc=$rc"

# ---- mutated expect files: never a crash ----------------------------------------------------
# Deterministic mutations of a valid expect line (byte flips, cuts, insertions of JSON
# punctuation and escapes): the status is 0, 1 or 2, a 2 comes with one stderr line, and no
# sanitizer report appears.
mkdir -p "$T/mut"
$PY - "$T/mut" <<'EOF'
import os, random, sys
r = random.Random(8327)
base = ('{"code":"smtpdiag.rst","frame":11,"severity":"warning","time":1700000000.11,'
        '"conn":{"client":"192.0.2.10:40000","server":"198.51.100.25:25"},"dir":"c2s",'
        '"message":"caf\\u00e9 \\ud83d\\ude00 \\"q\\"","detail":{"a":[1,2.5e3,-0,true,null,{}]}}')
toks = ['{', '}', '[', ']', ',', ':', '"', '\\', '\\u', '\\ud800', '-', '0', '1e', '.',
        'tru', 'null', ' ', '\n', '\x00', '\xff', '\xc3', '\\"', '\\ude00']
for i in range(200):
    b = bytearray(base.encode())
    for _ in range(r.randrange(1, 5)):
        op = r.randrange(3)
        pos = r.randrange(len(b))
        if op == 0:
            b[pos] = r.randrange(256)
        elif op == 1:
            b[pos:pos] = r.choice(toks).encode("latin-1")
        else:
            del b[pos:pos + r.randrange(1, 6)]
    open(os.path.join(sys.argv[1], "m%03d.expect" % i), "wb").write(bytes(b) + b"\n")
EOF
bad=0
for m in "$T"/mut/*.expect; do
	"$MTADIAG" -r "$T/rst.pcap" --expect "$m" >"$T/m.out" 2>"$T/m.err"
	mrc=$?
	if grep -qE 'Sanitizer|runtime error' "$T/m.err" || [ "$mrc" -gt 2 ] ||
		{ [ "$mrc" = 2 ] && [ "$(wc -l <"$T/m.err" | tr -d ' ')" != 1 ]; }; then
		bad=$((bad + 1))
		fail "mutated expect $(basename "$m"): rc=$mrc $(head -c 300 "$T/m.err")"
	fi
done
[ "$bad" = 0 ] && ok "200 mutated expect files: exit 0/1/2, no crash, no sanitizer report"

echo "# $passes passed, $fails failed"
[ "$fails" = 0 ]
