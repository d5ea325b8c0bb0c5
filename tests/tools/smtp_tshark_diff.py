#!/usr/bin/python3
"""smtp_tshark_diff.py MTADIAG PCAP... - compare mtadiag's SMTP dialogue with tshark's.

For each capture: the (frame, command verb) and (frame, reply code) pairs in the "dialogue" of
mtadiag's smtp_session summaries against tshark's smtp.req.command / smtp.response.code.
Pairs are compared as sets (a frame holding three pipelined "250" replies is one pair on each
side).  mtadiag's own units that Wireshark has no field for (END_OF_DATA, AUTH_CONT) are left
out, as are tshark's empty commands (AUTH continuation lines).  A multi-line reply counts at the
frame of its first and of its last line (Wireshark gives each line its own code).

Every difference must be listed in KNOWN below with the reason Wireshark and mtadiag disagree;
anything else fails.  Exit 0 when all captures agree (up to KNOWN), 1 otherwise.
"""
import json
import os
import subprocess
import sys

# Non-default SMTP ports used by our captures; tshark is told to decode them as SMTP.
EXTRA_PORTS = (2525,)

# tshark 4.0 puts only the first four letters of STARTTLS in smtp.req.command.
TSHARK_ALIASES = {"STAR": "STARTTLS"}

SURICATA = ("Wireshark is wrong: the segment holds MAIL, RCPT, DATA, the body and its end "
            "marker; tshark 4.0 dissects the whole segment as message text (SMTP/IMF) and "
            "reports none of the commands.  mtadiag reads them (and flags the body sent "
            "without waiting for 354).")
BDAT = ("Wireshark is wrong: tshark 4.0 shows a segment that starts with \"BDAT n\" followed "
        "by the chunk as \"DATA fragment\" without smtp.req.command; mtadiag reads the BDAT "
        "command and skips exactly n chunk octets (RFC 3030).")
MIDSTREAM = ("Wireshark is wrong: the capture starts inside a message body; tshark takes the "
             "first words of body lines for commands.  mtadiag resynchronises: it skips lines "
             "until one starts with a known verb.")
AFTER_EOD = ("Wireshark is wrong: the client pipelined QUIT right after the end-of-data marker "
             "in the same segment (allowed by RFC 2920); tshark dissects the segment as message "
             "text up to its end and does not report the QUIT.")
AFTER_GAP = ("Wireshark is wrong: the end-of-data marker's line began in a capture gap; tshark "
             "stays in DATA mode and reads the later QUIT as body text.  mtadiag ends the body "
             "at the server's reply (a server replies only after the end of the message).")

# (capture basename, kind, frame, value): why Wireshark and mtadiag differ there.
KNOWN = {
    ("smtp-suricata-pipelining-single-segment.pcap", "cmd", 11, "MAIL"): SURICATA,
    ("smtp-suricata-pipelining-single-segment.pcap", "cmd", 11, "RCPT"): SURICATA,
    ("smtp-suricata-pipelining-single-segment.pcap", "cmd", 11, "DATA"): SURICATA,
    ("bdat-chunking.pcap", "cmd", 11, "BDAT"): BDAT,
    ("bdat-chunking.pcap", "cmd", 12, "BDAT"): BDAT,
    ("midstream-start.pcap", "cmd", 1, "NG O"): MIDSTREAM,
    ("midstream-start.pcap", "cmd", 1, "MORE"): MIDSTREAM,
    ("smtp-chrissanders-relay-pipelining.pcapng", "cmd", 34, "QUIT"): AFTER_EOD,
    ("tcp-gap.pcap", "cmd", 17, "QUIT"): AFTER_GAP,
}


def run(cmd):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=300,
                          check=False).stdout.decode("utf-8", "replace")


def tshark_pairs(pcap):
    cmd = ["tshark", "-r", pcap, "-Y", "smtp", "-T", "fields", "-E", "separator=\t",
           "-E", "aggregator=,", "-e", "frame.number", "-e", "smtp.req.command",
           "-e", "smtp.response.code"]
    for p in EXTRA_PORTS:
        cmd[3:3] = ["-d", "tcp.port==%d,smtp" % p]
    pairs = set()
    for line in run(cmd).splitlines():
        f = line.split("\t")
        if len(f) < 3 or not f[0].isdigit():
            continue
        frame = int(f[0])
        for c in f[1].split(","):
            c = c.strip().upper()
            c = TSHARK_ALIASES.get(c, c)
            if c:
                pairs.add(("cmd", frame, c))
        for r in f[2].split(","):
            if r.strip().isdigit():
                pairs.add(("rep", frame, int(r)))
    return pairs


def mtadiag_pairs(binary, pcap):
    ports = "25,587,2525"
    out = run([binary, "-r", pcap, "--json", "--smtp-ports", ports])
    pairs = set()
    for line in out.splitlines():
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if o.get("kind") != "smtp_session":
            continue
        for u in o.get("dialogue", []):
            if isinstance(u[1], str):
                if u[1] in ("END_OF_DATA", "AUTH_CONT"):
                    continue
                pairs.add(("cmd", u[0], u[1]))
            else:
                pairs.add(("rep", u[0], u[1]))
                if len(u) > 2:
                    pairs.add(("rep", u[2], u[1]))
    return pairs


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    binary = sys.argv[1]
    bad = 0
    total = 0
    for pcap in sys.argv[2:]:
        name = os.path.basename(pcap)
        t = tshark_pairs(pcap)
        m = mtadiag_pairs(binary, pcap)
        total += len(m)
        diffs = [("only mtadiag", x) for x in sorted(m - t, key=str)] + \
                [("only tshark", x) for x in sorted(t - m, key=str)]
        unexplained = [d for d in diffs if (name,) + d[1] not in KNOWN]
        explained = [d for d in diffs if (name,) + d[1] in KNOWN]
        status = "FAIL" if unexplained else "ok"
        print("%-4s %s: %d units, %d agree, %d known differences, %d unexplained" %
              (status, name, len(m), len(m & t), len(explained), len(unexplained)))
        for side, x in unexplained:
            print("     %s: %s frame %d %s" % (side, x[0], x[1], x[2]))
        for side, x in explained:
            print("     known (%s frame %d %s): %s" % (side, x[1], x[2], KNOWN[(name,) + x]))
        if unexplained:
            bad += 1
    print("%d captures, %d with unexplained differences, %d mtadiag units" %
          (len(sys.argv) - 2, bad, total))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
