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
"""
import json
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
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
