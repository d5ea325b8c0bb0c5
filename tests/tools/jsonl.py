#!/usr/bin/python3
"""Small queries over mtadiag --json output (JSON Lines) for the script tests.

usage:
  jsonl.py check FILE             every line is a JSON object with a "kind"; exit 1 otherwise
  jsonl.py count-at-least SEV FILE  print the number of findings of severity SEV or higher
  jsonl.py has CODE FRAME FILE    exit 0 when a finding CODE at FRAME is present, else 1
  jsonl.py kinds FILE             print "kind file" per line ("-" when no file key)
  jsonl.py to-expect MINSEV FILE  print the findings of severity MINSEV or higher as .expect
                                  lines (all keys but "kind")
  jsonl.py stat KEY FILE          print KEY of the (single) stats object
  jsonl.py validate DEF FILE      contract §1/§3 checks of a single-file --json output: every
                                  finding has the keys and types of §1 with a code from the
                                  catalogue DEF (findings.def) and a frame within the capture;
                                  one stats object, last, whose per-severity counts equal the
                                  findings printed; summaries have a known kind
"""
import json
import re
import sys

SEV = {"chat": 0, "note": 1, "warning": 2, "error": 3}


def records(path):
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            obj = json.loads(line)
            if not isinstance(obj, dict) or "kind" not in obj:
                raise ValueError("%s:%d: not an object with a kind" % (path, n))
            yield obj


def findings(path):
    return [r for r in records(path) if r["kind"] == "finding"]


def main(argv):
    cmd = argv[1]
    if cmd == "check":
        try:
            list(records(argv[2]))
        except (ValueError, UnicodeDecodeError) as e:
            print(e)
            return 1
        return 0
    if cmd == "count-at-least":
        print(sum(1 for f in findings(argv[3]) if SEV[f["severity"]] >= SEV[argv[2]]))
        return 0
    if cmd == "has":
        code, frame = argv[2], int(argv[3])
        return 0 if any(f["code"] == code and f["frame"] == frame for f in findings(argv[4])) else 1
    if cmd == "kinds":
        for r in records(argv[2]):
            print(r["kind"], r.get("file", "-"))
        return 0
    if cmd == "to-expect":
        for f in findings(argv[3]):
            if SEV[f["severity"]] >= SEV[argv[2]]:
                del f["kind"]
                print(json.dumps(f, ensure_ascii=False))
        return 0
    if cmd == "stat":
        stats = [r for r in records(argv[3]) if r["kind"] == "stats"]
        if len(stats) != 1:
            print("expected one stats object, got %d" % len(stats), file=sys.stderr)
            return 1
        print(stats[0][argv[2]])
        return 0
    if cmd == "validate":
        return validate(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


def validate(defpath, path):
    codes = set(re.findall(r'MTA_FINDING\(\s*\w+\s*,\s*"([^"]+)"', open(defpath).read()))
    recs = list(records(path))
    errs = []
    if not recs or recs[-1]["kind"] != "stats" or sum(r["kind"] == "stats" for r in recs) != 1:
        errs.append("not exactly one stats object, at the end")
        stats = {"frames": float("inf"), "findings": None}
    else:
        stats = recs[-1]
    count = {s: 0 for s in SEV}
    addr = re.compile(r"^(\d+\.\d+\.\d+\.\d+|\[[0-9a-fA-F:.]+\]):\d+$")
    for n, r in enumerate(recs, 1):
        k = r["kind"]
        if k == "finding":
            for key, typ in (("code", str), ("severity", str), ("frame", int), ("dir", str),
                             ("message", str), ("conn", dict)):
                if not isinstance(r.get(key), typ):
                    errs.append("line %d: %s missing or not %s" % (n, key, typ.__name__))
            if not isinstance(r.get("time"), (int, float)):
                errs.append("line %d: time is not a number" % n)
            if r.get("code") not in codes:
                errs.append("line %d: code %r not in the catalogue" % (n, r.get("code")))
            if r.get("severity") not in SEV:
                errs.append("line %d: severity %r" % (n, r.get("severity")))
            else:
                count[r["severity"]] += 1
            if r.get("dir") not in ("c2s", "s2c"):
                errs.append("line %d: dir %r" % (n, r.get("dir")))
            for key in ("frame", "related_frame"):
                v = r.get(key)
                if key in r and not (isinstance(v, int) and 1 <= v <= stats["frames"]):
                    errs.append("line %d: %s %r outside the capture" % (n, key, v))
            c = r.get("conn") or {}
            for side in ("client", "server"):
                if not addr.match(str(c.get(side, ""))):
                    errs.append("line %d: conn.%s %r" % (n, side, c.get(side)))
            if "detail" in r and not isinstance(r["detail"], dict):
                errs.append("line %d: detail is not an object" % n)
            if not r.get("message"):
                errs.append("line %d: empty message" % n)
        elif k not in ("smtp_session", "osi_association", "stats"):
            errs.append("line %d: unknown kind %r" % (n, k))
    if stats.get("findings") is not None and stats["findings"] != count:
        errs.append("stats findings %r, findings printed %r" % (stats["findings"], count))
    for e in errs[:20]:
        print(e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
