#!/usr/bin/python3
"""Write small deterministic captures that exercise TCP reassembly corner cases, for the
differential test against tshark (tests/scripts/test_follow_diff.sh).

usage: gen_reasm_captures.py OUTDIR
Run with /usr/bin/python3 (Debian's scapy).  Every file holds one scenario; its name says which.
"""
import os
import random
import sys

from scapy.all import IP, IPv6, TCP, Dot1Q, Ether, Raw, wrpcap

MAC_C = "02:00:00:00:00:01"
MAC_S = "02:00:00:00:00:02"


class Conn:
    """One TCP connection; sequence numbers are given relative to each side's ISN + 1."""

    def __init__(self, pkts, cli="192.0.2.1", srv="198.51.100.2", cport=40001, sport=25,
                 isn_c=1000, isn_s=900000, v6=False, vlan=None, t0=1700000000.0):
        self.pkts, self.cli, self.srv, self.cport, self.sport = pkts, cli, srv, cport, sport
        self.isn = [isn_c, isn_s]
        self.nxt = [0, 0]  # next relative sequence number per side (0 = first data octet)
        self.v6, self.vlan = v6, vlan
        self.t = t0

    def raw(self, side, flags, rel_seq, data=b"", ack=True, seq_abs=None):
        """side 0 = client, 1 = server; rel_seq relative to ISN + 1 (SYN: -1)."""
        self.t += 0.001
        src, dst = (self.cli, self.srv) if side == 0 else (self.srv, self.cli)
        sp, dp = (self.cport, self.sport) if side == 0 else (self.sport, self.cport)
        seq = (self.isn[side] + 1 + rel_seq) & 0xFFFFFFFF if seq_abs is None else seq_abs
        ackn = (self.isn[1 - side] + 1 + self.nxt[1 - side]) & 0xFFFFFFFF if ack else 0
        l3 = (IPv6(src=src, dst=dst) if self.v6 else IP(src=src, dst=dst, id=len(self.pkts)))
        eth = Ether(src=MAC_C if side == 0 else MAC_S, dst=MAC_S if side == 0 else MAC_C)
        if self.vlan is not None:
            eth = eth / Dot1Q(vlan=self.vlan)
        p = eth / l3 / TCP(sport=sp, dport=dp, seq=seq, ack=ackn, flags=flags, window=65535)
        if data:
            p = p / Raw(data)
        p.time = self.t
        self.pkts.append(p)

    def handshake(self):
        self.raw(0, "S", -1, ack=False)
        self.raw(1, "SA", -1)
        self.raw(0, "A", 0)

    def send(self, side, data, flags="PA"):
        self.raw(side, flags, self.nxt[side], data)
        self.nxt[side] += len(data)

    def ack(self, side):
        self.raw(side, "A", self.nxt[side])

    def close(self):
        self.raw(0, "FA", self.nxt[0])
        self.nxt[0] += 1
        self.raw(1, "FA", self.nxt[1])
        self.nxt[1] += 1
        self.ack(0)


def body(n, seed):
    r = random.Random(seed)
    return bytes(r.choice(b"abcdefghijklmnopqrstuvwxyz0123456789 \r\n") for _ in range(n))


def scen_inorder(p):
    c = Conn(p)
    c.handshake()
    c.send(1, b"220 mx ESMTP\r\n")
    c.send(0, b"EHLO a\r\n")
    c.send(1, b"250 mx\r\n")
    c.send(0, body(3000, 1), "A")
    c.send(0, body(500, 2))
    c.ack(1)
    c.close()


def scen_out_of_order(p):
    c = Conn(p)
    c.handshake()
    a, b, d = body(100, 3), body(100, 4), body(100, 5)
    c.raw(0, "A", 0, a)
    c.raw(0, "A", 200, d)   # third segment before the second
    c.raw(0, "PA", 100, b)
    c.nxt[0] = 300
    c.ack(1)
    c.send(1, b"250 ok\r\n")
    c.close()


def scen_retransmission(p):
    c = Conn(p)
    c.handshake()
    a, b = body(200, 6), body(200, 7)
    c.raw(0, "A", 0, a)
    c.raw(0, "PA", 200, b)
    c.raw(0, "PA", 200, b)  # identical copy
    c.raw(0, "A", 0, a)     # identical copy of older data
    c.nxt[0] = 400
    c.ack(1)
    c.close()


def scen_overlap_conflict(p):
    """A retransmission that overlaps delivered bytes with different content and carries new
    bytes: the first copy of every octet wins."""
    c = Conn(p)
    c.handshake()
    c.raw(0, "A", 0, b"0123456789")
    c.raw(0, "A", 10, b"ABCDEFGHIJ")
    c.raw(0, "PA", 5, b"xxxxxXXXXXXXXXXnew!!")  # octets 5..24: 5..19 conflict, 20..24 new
    c.nxt[0] = 25
    c.ack(1)
    c.close()


def scen_ooo_overlap_conflict(p):
    """Overlapping out-of-order segments with different content, all before the hole fills."""
    c = Conn(p)
    c.handshake()
    c.raw(0, "A", 20, b"CCCCCCCCCC")             # 20..29 first
    c.raw(0, "A", 10, b"bbbbbbbbbbBBBBB")        # 10..24, conflicts with 20..24
    c.raw(0, "PA", 0, b"aaaaaaaaaa")             # 0..9 fills the hole
    c.nxt[0] = 30
    c.ack(1)
    c.close()


def scen_gap_acked(p):
    """A segment missing from the capture, acknowledged by the peer: a certain hole."""
    c = Conn(p)
    c.handshake()
    c.raw(0, "A", 0, body(100, 8))
    # 100..199 never captured
    c.raw(0, "PA", 200, body(100, 9))
    c.nxt[0] = 300
    c.ack(1)
    c.send(1, b"250 ok\r\n")
    c.close()


def scen_gap_at_end(p):
    """A hole that is never acknowledged; the capture ends with data after it."""
    c = Conn(p)
    c.handshake()
    c.raw(0, "A", 0, body(100, 10))
    c.raw(0, "PA", 200, body(100, 11))


def scen_seq_wrap(p):
    c = Conn(p, isn_c=0xFFFFFFFF - 150, isn_s=0xFFFFFFF0)
    c.handshake()
    for i in range(4):
        c.send(0, body(100, 20 + i), "A")
        c.send(1, body(30, 30 + i))
    c.close()


def scen_midstream(p):
    """The capture starts in the middle of a connection (no SYN)."""
    c = Conn(p, isn_c=5000000, isn_s=7000000)
    c.nxt = [1234, 567]
    c.send(0, b"RCPT TO:<b@example.test>\r\n")
    c.send(1, b"250 2.1.5 Ok\r\n")
    c.send(0, b"DATA\r\n")
    c.send(1, b"354 go ahead\r\n")
    c.send(0, body(2000, 12), "A")
    c.send(0, b"\r\n.\r\n")
    c.send(1, b"250 queued\r\n")
    c.close()


def scen_midstream_keepalive(p):
    """Mid-stream capture that opens with keep-alives (sequence number = next - 1): the
    server's without payload, the client's with a single garbage octet, then a dialogue.
    The server port is an SMTP port, so mtadiag knows the roles without a SYN."""
    c = Conn(p, isn_c=5000000, isn_s=7000000, sport=25)
    c.nxt = [100, 200]
    c.raw(1, "A", c.nxt[1] - 1)            # server keep-alive, no payload
    c.ack(0)                               # client pure ACK at its next sequence number
    c.raw(0, "A", c.nxt[0] - 1, b"\x00")    # client keep-alive with one octet
    c.ack(1)
    c.send(1, b"server data\n")
    c.send(0, b"client data\n")
    c.close()


def scen_ipv6(p):
    c = Conn(p, cli="2001:db8::1", srv="2001:db8::25", v6=True)
    c.handshake()
    c.send(1, b"220 v6 ESMTP\r\n")
    c.send(0, b"EHLO v6\r\n")
    c.raw(0, "A", c.nxt[0] + 50, body(50, 13))  # out of order over IPv6
    c.raw(0, "PA", c.nxt[0], body(50, 14))
    c.nxt[0] += 100
    c.ack(1)
    c.close()


def scen_port_reuse(p):
    """Two connections on the same 4-tuple, one after the other."""
    c = Conn(p, sport=2000)
    c.handshake()
    c.send(0, b"first connection\n")
    c.send(1, b"reply one\n")
    c.close()
    d = Conn(p, sport=2000, isn_c=3000000, isn_s=4000000, t0=c.t + 1)
    d.handshake()
    d.send(0, b"second connection\n")
    d.send(1, b"reply two\n")
    d.close()


def scen_keepalive(p):
    c = Conn(p)
    c.handshake()
    c.send(0, b"HELO a\r\n")
    c.send(1, b"250 hi\r\n")
    c.raw(0, "A", c.nxt[0] - 1, b"\x00")  # keep-alive: one old octet, other content
    c.ack(1)
    c.send(0, b"QUIT\r\n")
    c.close()


def scen_fin_rst_data(p):
    c = Conn(p, sport=2001)
    c.handshake()
    c.send(0, b"hello")
    c.raw(1, "FPA", 0, b"bye-with-fin")
    c.nxt[1] = 13
    c.ack(0)
    c.raw(0, "RA", c.nxt[0], b"reset-with-data")


def scen_shuffle(p):
    """Twenty segments in a shuffled order with duplicates and partial overlaps (same content)."""
    c = Conn(p, sport=2002)
    c.handshake()
    data = body(2000, 15)
    r = random.Random(16)
    segs = []
    for off in range(0, 2000, 100):
        segs.append((off, data[off:off + 100]))
    for _ in range(6):
        a = r.randrange(0, 1900)
        b = min(2000, a + r.randrange(1, 250))
        segs.append((a, data[a:b]))
    r.shuffle(segs)
    for off, d in segs:
        c.raw(0, "A", off, d)
    c.nxt[0] = 2000
    c.ack(1)
    c.close()


def scen_vlan_two_conns(p):
    """802.1Q, two interleaved connections."""
    c = Conn(p, vlan=7, cport=40010)
    d = Conn(p, vlan=7, cport=40011, isn_c=77, isn_s=99)
    c.handshake()
    d.handshake()
    for i in range(3):
        c.send(0, body(60, 40 + i))
        d.send(1, body(70, 50 + i))
        d.send(0, body(20, 60 + i))
    c.close()
    d.close()


SCENARIOS = {
    "inorder": scen_inorder,
    "out_of_order": scen_out_of_order,
    "retransmission": scen_retransmission,
    "overlap_conflict": scen_overlap_conflict,
    "ooo_overlap_conflict": scen_ooo_overlap_conflict,
    "gap_acked": scen_gap_acked,
    "gap_at_end": scen_gap_at_end,
    "seq_wrap": scen_seq_wrap,
    "midstream": scen_midstream,
    "midstream_keepalive": scen_midstream_keepalive,
    "ipv6": scen_ipv6,
    "port_reuse": scen_port_reuse,
    "keepalive": scen_keepalive,
    "fin_rst_data": scen_fin_rst_data,
    "shuffle": scen_shuffle,
    "vlan_two_conns": scen_vlan_two_conns,
}


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    for name, fn in SCENARIOS.items():
        pkts = []
        fn(pkts)
        wrpcap(os.path.join(outdir, "reasm-%s.pcap" % name), pkts)


if __name__ == "__main__":
    main(sys.argv[1])
