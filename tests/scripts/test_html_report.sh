#!/bin/bash
# test_html_report.sh — mtadiag --html without a browser (runs in the ASan pass too): for every
# capture in pcaps/ the page is written, is self-contained (no src=, <link, @import, url() or
# fetch of anything outside the page), its embedded data is valid JSON with no raw '<', and it
# carries exactly the findings (frame, code, severity, related frame, connection) and the
# sessions/associations of mtadiag --json, each finding tied to the session it belongs to and
# every session with events whose frames lie within it; the text report on stdout is unchanged
# by --html; two runs give the same page.  Usage errors: --html -, --html twice, an unwritable
# path (exit 2, one line, before anything is analysed: nothing on stdout).
set -u
: "${MTADIAG:?}" "${MTA_SRC:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL - $1"; fails=$((fails + 1)); }

for args in "--html -" "--html $T/a.html --html $T/b.html" "--html /nonexistent/dir/x.html"; do
	# shellcheck disable=SC2086
	"$MTADIAG" -r "$MTA_SRC/pcaps/smtp/clean-basic.pcap" $args >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && [ ! -s "$T/out" ] && grep -q -- "--html" "$T/err" ||
		fail "$args: rc=$rc, stderr $(cat "$T/err")"
done

mapfile -t caps < <(find "$MTA_SRC/pcaps" -name '*.pcap' -o -name '*.pcapng' | sort)
for c in "${caps[@]}"; do
	n=$(basename "$c")
	"$MTADIAG" -r "$c" >"$T/plain.txt" 2>/dev/null
	"$MTADIAG" -r "$c" --html "$T/$n.html" >"$T/with.txt" 2>/dev/null
	cmp -s "$T/plain.txt" "$T/with.txt" || fail "$n: --html changes the text report"
	"$MTADIAG" -r "$c" --json --html "$T/$n.2.html" >"$T/$n.json" 2>/dev/null
	cmp -s "$T/$n.html" "$T/$n.2.html" || fail "$n: two runs give different pages"
	rm -f "$T/$n.2.html"
done
/usr/bin/python3 - "$T" "${caps[@]}" <<'PY' || fails=$((fails + 1))
import json, os, re, sys
t = sys.argv[1]
bad = 0
def fail(m):
    global bad
    bad += 1
    print("FAIL -", m)
n_ev = 0
for c in sys.argv[2:]:
    n = os.path.basename(c)
    page = open(os.path.join(t, n + ".html"), encoding="utf-8").read()
    recs = [json.loads(l) for l in open(os.path.join(t, n + ".json"))]
    for pat in (r"\ssrc\s*=", r"<link\b", r"@import", r"url\((?!#)", r"\bfetch\(", r"XMLHttpRequest", r"<iframe"):
        if re.search(pat, page, re.I):
            fail("%s: page refers outside itself (%s)" % (n, pat))
    m = re.search(r'<script type="application/json" id="mtadiag-data">(.*?)</script>', page, re.S)
    if not m:
        fail("%s: no data element" % n)
        continue
    if "<" in m.group(1):
        fail("%s: raw '<' in the embedded data" % n)
    d = json.loads(m.group(1))
    want = sorted((f["frame"], f["code"], f["severity"], f.get("related_frame", 0),
                   f["conn"]["client"], f["conn"]["server"]) for f in recs if f["kind"] == "finding")
    sev = ["chat", "note", "warning", "error"]
    got = sorted((f[2], f[4], sev[f[5]], f[8], f[10], f[11]) for f in d["findings"])
    if got != want:
        fail("%s: findings differ:\n  page %s\n  json %s" % (n, got, want))
    sums = [s for s in recs if s["kind"] in ("smtp_session", "osi_association")]
    if [(s["first_frame"], s["last_frame"]) for s in sums] != [(c["first"], c["last"]) for c in d["conns"]]:
        fail("%s: sessions differ" % n)
    for f in d["findings"]:
        if f[0] < 0:
            fail("%s: finding %s at frame %d tied to no session" % (n, f[4], f[2]))
            continue
        k = d["conns"][f[0]]
        if (k["client"], k["server"]) != (f[10], f[11]) or not k["first"] <= f[2] <= k["last"]:
            fail("%s: finding %s at frame %d tied to the wrong session" % (n, f[4], f[2]))
    for k in d["conns"]:
        if not k["ev"]:
            fail("%s: session at frame %d has no events" % (n, k["first"]))
        for e in k["ev"]:
            if not k["first"] <= e[0] <= k["last"]:
                fail("%s: event at frame %d outside its session %d-%d" % (n, e[0], k["first"], k["last"]))
        n_ev += len(k["ev"])
print("%d pages, %d events checked" % (len(sys.argv) - 2, n_ev))
sys.exit(1 if bad else 0)
PY
# Several files in one page: frame numbers start again in each, so every session and finding
# carries its file; a finding is tied to the session of its own file.
o=$MTA_SRC/pcaps/osi/seed003_invalid_mip_abort.pcap
m=$MTA_SRC/pcaps/smtp/seed000-rst-during-data.pcap
"$MTADIAG" -r "$m" -r "$o" -q --html "$T/multi.html" >/dev/null 2>&1
/usr/bin/python3 - "$T/multi.html" "$o" "$m" <<'PY' || fail "two files in one page"
import json, re, sys
page = open(sys.argv[1]).read()
d = json.loads(re.search(r'<script type="application/json" id="mtadiag-data">(.*?)</script>', page, re.S).group(1))
names = [f["name"] for f in d["files"]]
conns = [(names[c["file"]] == sys.argv[2], c["proto"], c["first"], c["last"]) for c in d["conns"]]
finds = sorted((names[f[1]] == sys.argv[2], f[0], f[2], f[4]) for f in d["findings"])
ok = conns == [(True, "osi", 1, 17), (False, "smtp", 1, 18)] and finds == [
    (False, 1, 18, "smtpdiag.message_lost"), (False, 1, 18, "smtpdiag.rst"),
    (True, 0, 13, "osidiag.mip_serial"), (True, 0, 14, "osidiag.abort"),
    (True, 0, 14, "osidiag.abort_cause")]
print("files %s\nconns %s\nfindings %s" % (names, conns, finds))
sys.exit(0 if ok else 1)
PY
[ $fails = 0 ] || exit 1
echo "PASS: --html over ${#caps[@]} captures"
