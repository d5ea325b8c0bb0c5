#!/usr/bin/python3
"""Write a small, deterministic capture of one SMTP connection on port 25 that a client
resets in the middle of the dialogue (greeting, EHLO, reply, then RST from the client), for the
command-line tests that need at least one finding.

usage: gen_rst_capture.py OUT.pcap [starttls]
With "starttls" the client negotiates STARTTLS (a chat finding) and exchanges some opaque
octets before the reset.
Run with /usr/bin/python3 (Debian's scapy)."""
import sys

from scapy.all import IP, TCP, Ether, Raw, wrpcap  # noqa: E402

CLI, SRV, CP, SP = "192.0.2.10", "198.51.100.25", 40000, 25
E = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
ER = dict(src="02:00:00:00:00:02", dst="02:00:00:00:00:01")


def main(out, starttls=False):
    c, s, t = 1000, 5000, 1700000000.0
    pkts = []

    def add(pkt):
        nonlocal t
        t += 0.01
        pkt.time = t
        pkts.append(pkt)

    def c2s(flags, data=b""):
        nonlocal c
        p = Ether(**E) / IP(src=CLI, dst=SRV) / TCP(sport=CP, dport=SP, seq=c, ack=s, flags=flags)
        add(p / Raw(data) if data else p)
        c += len(data) + (1 if "S" in flags or "F" in flags else 0)

    def s2c(flags, data=b""):
        nonlocal s
        p = Ether(**ER) / IP(src=SRV, dst=CLI) / TCP(sport=SP, dport=CP, seq=s, ack=c, flags=flags)
        add(p / Raw(data) if data else p)
        s += len(data) + (1 if "S" in flags or "F" in flags else 0)

    # The SYN carries no ACK number.
    add(Ether(**E) / IP(src=CLI, dst=SRV) / TCP(sport=CP, dport=SP, seq=c, flags="S"))
    c += 1
    s2c("SA")
    c2s("A")
    s2c("PA", b"220 mx.example.test ESMTP\r\n")
    c2s("A")
    c2s("PA", b"EHLO client.example.test\r\n")
    if starttls:
        s2c("PA", b"250-mx.example.test\r\n250 STARTTLS\r\n")
        c2s("PA", b"STARTTLS\r\n")
        s2c("PA", b"220 2.0.0 Ready to start TLS\r\n")
        c2s("PA", b"\x16\x03\x01\x00\x05hello")
        s2c("PA", b"\x16\x03\x03\x00\x05world")
    else:
        s2c("PA", b"250-mx.example.test\r\n250 PIPELINING\r\n")
        c2s("A")
        c2s("PA", b"MAIL FROM:<a@example.test>\r\n")
        s2c("PA", b"250 2.1.0 Ok\r\n")
    c2s("RA")
    wrpcap(out, pkts)


if __name__ == "__main__":
    main(sys.argv[1], len(sys.argv) > 2 and sys.argv[2] == "starttls")
