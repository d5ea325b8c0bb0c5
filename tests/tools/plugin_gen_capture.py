#!/usr/bin/python3
"""plugin_gen_capture.py OUT.pcap — an SMTP capture whose last command is never answered.

The client gives up with a FIN 5 s after EHLO and the server never answers nor closes: the
engine decides the stall only when the capture ends, and puts it on the connection's last frame
(contract 1.3), so the plugins show it from the second pass on.  Another connection runs 40 s
later, so that frame is not the capture's last one.  Deterministic.
"""
import sys
from scapy.all import IP, TCP, Ether, wrpcap

T0 = 1767261600.0
C, S = "192.0.2.10", "198.51.100.25"


def conn(sport, t, pkts, seq_c=1000, seq_s=5000):
    def add(src, flags, payload=b"", dt=0.01):
        nonlocal t, seq_c, seq_s
        t += dt
        if src == "c":
            p = IP(src=C, dst=S) / TCP(sport=sport, dport=25, flags=flags, seq=seq_c, ack=seq_s)
            seq_c += len(payload) + (1 if "S" in flags or "F" in flags else 0)
        else:
            p = IP(src=S, dst=C) / TCP(sport=25, dport=sport, flags=flags, seq=seq_s, ack=seq_c)
            seq_s += len(payload) + (1 if "S" in flags or "F" in flags else 0)
        f = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / p
        if payload:
            f = f / payload
        f.time = t
        pkts.append((t, f))
    return add


def main():
    pkts = []
    a = conn(40001, T0, pkts)
    a("c", "S")
    a("s", "SA")
    a("c", "A")
    a("s", "PA", b"220 mx.example.test ESMTP\r\n")
    a("c", "PA", b"EHLO client.example.test\r\n")     # never answered
    a("c", "FA", dt=5.0)                                # the client gives up
    b = conn(40002, T0 + 40.0, pkts)
    b("c", "S")
    b("s", "SA")
    b("c", "A")
    b("s", "PA", b"220 mx.example.test ESMTP\r\n")
    b("c", "PA", b"QUIT\r\n")
    b("s", "PA", b"221 bye\r\n")
    b("c", "FA")
    b("s", "FA")
    b("c", "A", dt=1.0)
    pkts.sort(key=lambda x: x[0])
    wrpcap(sys.argv[1], [f for _, f in pkts])


if __name__ == "__main__":
    main()
