#!/usr/bin/python3
"""live_compare.py — compare mtadiag --json outputs of a live capture with offline analyses.

usage:
  live_compare.py same LIVE OFFLINE
      LIVE (mtadiag -i ... --json) and OFFLINE (mtadiag -r of the -w file --json) hold the same
      records in the same order; the stats objects are equal but for libpcap's counters
      (pcap_received, pcap_dropped, pcap_ifdropped), which only LIVE has and which must be
      present there.
  live_compare.py findings LIVE ORIGINAL [--ignore CODE ...]
      The findings of LIVE (a replay of a capture) equal those of ORIGINAL (mtadiag -r of the
      capture itself) as multisets of (code, severity, frame, related_frame, dir, connection).
      Codes given with --ignore depend on the timing of the packets, which a replay changes;
      they are left out on both sides.
Exit status 0 when equal; 1 with every difference printed otherwise.
"""
import collections
import json
import sys

PCAP_KEYS = ("pcap_received", "pcap_dropped", "pcap_ifdropped")


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def same(live_path, off_path):
    live, off = load(live_path), load(off_path)
    fail = []
    stats = [r for r in live if r.get("kind") == "stats"]
    if len(stats) != 1 or live[-1].get("kind") != "stats":
        fail.append("live output: %d stats objects (want exactly one, last)" % len(stats))
    else:
        for k in PCAP_KEYS:
            if not isinstance(stats[0].get(k), int):
                fail.append("live stats lack %s" % k)
        for k in PCAP_KEYS:
            stats[0].pop(k, None)
    if len(live) != len(off):
        fail.append("live has %d records, offline %d" % (len(live), len(off)))
    for i, (a, b) in enumerate(zip(live, off)):
        if a != b:
            fail.append("record %d differs:\n  live:    %s\n  offline: %s"
                        % (i + 1, json.dumps(a, sort_keys=True), json.dumps(b, sort_keys=True)))
    return fail


def key(f):
    conn = f.get("conn") or {}
    return (f.get("code"), f.get("severity"), f.get("frame"), f.get("related_frame"),
            f.get("dir"), conn.get("client"), conn.get("server"))


def findings(live_path, orig_path, ignore):
    def bag(path):
        return collections.Counter(key(r) for r in load(path)
                                   if r.get("kind") == "finding" and r.get("code") not in ignore)
    a, b = bag(live_path), bag(orig_path)
    fail = []
    for k in sorted(set(a) | set(b), key=repr):
        if a[k] != b[k]:
            fail.append("finding %r: %d live, %d in the original" % (k, a[k], b[k]))
    return fail


def main(argv):
    if len(argv) >= 4 and argv[1] == "same":
        fail = same(argv[2], argv[3])
    elif len(argv) >= 4 and argv[1] == "findings":
        ignore = set()
        rest = argv[4:]
        if rest and rest[0] == "--ignore":
            ignore = set(rest[1:])
        fail = findings(argv[2], argv[3], ignore)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for f in fail:
        print("DIFF:", f)
    return 1 if fail else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
