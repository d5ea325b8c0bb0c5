#!/usr/bin/python3
"""osi_tshark_diff.py — compare the session SPDUs mtadiag decodes with tshark's, frame by frame.

    osi_tshark_diff.py OSI_TRACE TSHARK FILE...

For each capture: mtadiag's view comes from OSI_TRACE (tests/tools/osi_trace.c: frame, direction,
"NAME/SI[:serial],..." per session TSDU); tshark's from `-T fields -e ses.type -e
ses.serial_number`.  Per frame the SI sequence and the serial-number sequence must be equal.
Several TSDUs in one frame are joined in order on both sides.

Documented Wireshark differences (docs/osi-session-sync.md §6.2), handled narrowly:
  * names: SI 41 is "MAP" in Wireshark also for ACTIVITY END, SI 25 "AB" also for ACTIVITY
    INTERRUPT, SI 26 "AA" also for AIA, SI 42 "MAA" also for AEA — the comparison is on SI
    numbers, which both sides share, so these need no exception;
  * EXCEPTION REPORT (SI 0): Wireshark does not dissect a TSDU holding an ER SPDU as session
    (its table knows no SPDU type 0) — a frame where mtadiag has PT + ER and tshark nothing is
    accepted;
  * a TSDU mtadiag rejects as badly concatenated (S2) or with a misused GT/PT (S3): Wireshark's
    session heuristic declines some of them and shows nothing — accepted when mtadiag marks the
    TSDU invalid and tshark has no ses for the frame;
  * SPDUs carried in a COTP EXPEDITED DATA TPDU (RFC 1006 expedited flow: EX, PR, short AB):
    tshark 4.0 does not hand ED user data to the session dissector (observed on
    t2_ed_without_expedited.pcap) — a frame mtadiag marks "!expedited" with no tshark ses is
    accepted;
  * a serial that is not 1-6 decimal digits (S5): mtadiag prints '?', tshark the raw string;
  * an SPDU whose LI runs past the TSDU (mtadiag: "!overrun"): Wireshark still decodes what
    the octets allow; the frame passes when mtadiag's SPDUs before the overrun are a prefix of
    tshark's;
  * a capture in which mtadiag finds no ISO session at all (S7comm, raw COTP data): tshark's
    heuristic may still decode stray octets as SPDUs; those frames are reported, not failed.
Exit 0 when every capture agrees, 1 otherwise.
"""
import subprocess
import sys
from collections import OrderedDict


def mine(trace, path):
    out = subprocess.run([trace, path], capture_output=True, text=True, check=True).stdout
    frames = OrderedDict()
    for line in out.splitlines():
        fr, _d, spdus = line.split("\t")
        ent = frames.setdefault(int(fr), {"si": [], "sn": [], "names": [], "mark": None})
        for tok in spdus.split(","):
            if not tok:
                continue
            if tok.startswith("!"):
                ent["mark"] = tok[1:]
                continue
            name, rest = tok.split("/", 1)
            si, _, sn = rest.partition(":")
            ent["si"].append(int(si))
            ent["names"].append(name)
            if sn:
                ent["sn"].append(sn)
    return frames


def theirs(tshark, path):
    out = subprocess.run([tshark, "-r", path, "-Y", "ses", "-T", "fields", "-e", "frame.number",
                          "-e", "ses.type", "-e", "ses.serial_number", "-E", "occurrence=a",
                          "-E", "aggregator=,"], capture_output=True, text=True, check=True).stdout
    frames = OrderedDict()
    for line in out.splitlines():
        parts = line.split("\t")
        fr = int(parts[0])
        si = [int(x) for x in parts[1].split(",") if x != ""] if len(parts) > 1 else []
        sn = [x for x in parts[2].split(",") if x != ""] if len(parts) > 2 else []
        frames[fr] = {"si": si, "sn": sn}
    return frames


def serials_equal(mine_sn, their_sn):
    """mtadiag prints '?' for a serial it rejects as malformed (S5); tshark shows the raw
    string (ses.serial_number is FT_STRING).  Valid serials compare as numbers."""
    if len(mine_sn) != len(their_sn):
        return False
    for a, b in zip(mine_sn, their_sn):
        if a == "?":
            if b.isdigit() and 0 < len(b) <= 6:
                return False
        elif not b.isdigit() or int(a) != int(b):
            return False
    return True


def compare(trace, tshark, path):
    m, t = mine(trace, path), theirs(tshark, path)
    errors, notes = [], []
    no_session = len(m) == 0
    for fr in sorted(set(m) | set(t)):
        a, b = m.get(fr), t.get(fr)
        if a and b and a["si"] == b["si"] and serials_equal(a["sn"], b["sn"]):
            continue
        if a and a["mark"] == "overrun" and b and b["si"][:len(a["si"])] == a["si"]:
            notes.append("frame %d: overrun; mtadiag %s is a prefix of tshark %s" % (fr, a["si"], b["si"]))
            continue
        if a and not b and 0 in a["si"] and "ER" in a["names"]:
            notes.append("frame %d: EXCEPTION REPORT not dissected by tshark (SI 0)" % fr)
            continue
        if a and not b and a["mark"] in ("concat", "misuse"):
            notes.append("frame %d: tshark does not dissect a TSDU mtadiag reports as %s" % (
                fr, "bad concatenation (S2)" if a["mark"] == "concat" else "GT/PT misuse (S3)"))
            continue
        if a and not b and a["mark"] == "expedited":
            notes.append("frame %d: tshark does not dissect the session SPDUs of an expedited (ED) TPDU" % fr)
            continue
        if not a and b and no_session:
            notes.append("frame %d: tshark heuristic decodes %s in a capture without an ISO session" % (fr, b["si"]))
            continue
        errors.append("frame %d: mtadiag %s serials %s / tshark %s serials %s" % (
            fr, a["si"] if a else None, a["sn"] if a else None, b["si"] if b else None, b["sn"] if b else None))
    return len(set(m) | set(t)), errors, notes


def main():
    trace, tshark, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    bad = 0
    for f in files:
        n, errors, notes = compare(trace, tshark, f)
        status = "ok" if not errors else "DIFF"
        print("%s %s (%d frames with SPDUs)" % (status, f, n))
        for x in notes:
            print("   note: " + x)
        for x in errors:
            print("   diff: " + x)
        bad += bool(errors)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
