#!/usr/bin/python3
"""osi_split_check.py — the OSI findings do not depend on how TCP cut the byte stream.

    osi_split_check.py MTADIAG FILE.pcap...

Each capture is rewritten so that every TCP payload is cut into one-octet segments for its first
16 octets (TPKT header, COTP header and SPDU headers land in separate segments) and one segment
for the rest; flags (PSH/FIN/RST) stay on the last piece.  mtadiag must then report the same
findings (code, direction, severity, detail) at the same frames, where a frame of the rewritten
capture is mapped back to the original frame its octets came from (the contract places a
finding on the frame holding the unit's last octet, which is the same original frame).
"""
import json
import os
import subprocess
import sys
import tempfile

from scapy.all import IP, TCP, rdpcap, wrpcap  # noqa: E402


def split(pkts):
    out, back = [], []
    for i, p in enumerate(pkts, 1):
        plen = 0
        if TCP in p and IP in p:
            # from the IP total length: Ethernet padding is not TCP payload
            plen = p[IP].len - p[IP].ihl * 4 - p[TCP].dataofs * 4
        if plen <= 1:
            out.append(p)
            back.append(i)
            continue
        pay = bytes(p[TCP].payload)[:plen]
        cuts = list(range(1, min(16, len(pay)))) + [len(pay)]
        start = 0
        for k, end in enumerate(cuts):
            q = p.copy()
            q[TCP].remove_payload()
            q[TCP].seq = (p[TCP].seq + start) & 0xFFFFFFFF
            if k < len(cuts) - 1:
                q[TCP].flags = "A"
            q = q / pay[start:end]
            del q[IP].len
            del q[IP].chksum
            del q[TCP].chksum
            q.time = p.time
            out.append(q)
            back.append(i)
            start = end
    return out, back


def findings(mtadiag, path, back=None):
    r = subprocess.run([mtadiag, "-r", path, "--json"], capture_output=True, text=True)
    res = []
    for line in r.stdout.splitlines():
        o = json.loads(line)
        if o.get("kind") != "finding":
            continue
        fr = o["frame"] if back is None else back[o["frame"] - 1]
        rel = o.get("related_frame")
        if rel is not None and back is not None:
            rel = back[rel - 1]
        res.append((fr, o["code"], o["severity"], o["dir"], rel, json.dumps(o.get("detail"), sort_keys=True)))
    return sorted(res)


def main():
    mtadiag, files = sys.argv[1], sys.argv[2:]
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for f in files:
            pk = rdpcap(f)
            sp, back = split(pk)
            path = os.path.join(tmp, "split.pcap")
            wrpcap(path, sp)
            a, b = findings(mtadiag, f), findings(mtadiag, path, back)
            if a != b:
                bad += 1
                print("DIFF %s (%d -> %d frames)" % (f, len(pk), len(sp)))
                for x in sorted(set(a) - set(b)):
                    print("   only whole: %s" % (x,))
                for x in sorted(set(b) - set(a)):
                    print("   only split: %s" % (x,))
            else:
                print("ok %s (%d findings, %d -> %d frames)" % (f, len(a), len(pk), len(sp)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
